//! A language-server client for tests and benchmarks: starts `fgac lsp` as a process, speaks
//! JSON-RPC over its stdio with `Content-Length` frames, and waits for each answer with a
//! deadline (a server that hangs fails the test instead of stalling it).

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A running `fgac lsp` and what it has sent that nobody has asked for yet.
pub struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    pending: VecDeque<Value>,
    next_id: u64,
    /// How long to wait for any one message.
    pub deadline: Duration,
}

impl Client {
    /// Starts `binary lsp` and initializes it (`initialize`, then `initialized`); returns the
    /// client and the server's capabilities.
    pub fn start(binary: &str) -> (Client, Value) {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("fgac lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            incoming,
            pending: VecDeque::new(),
            next_id: 1,
            deadline: Duration::from_secs(60),
        };
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        client.notify("initialized", json!({}));
        let capabilities = init["result"]["capabilities"].clone();
        (client, capabilities)
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (`result` or `error` inside); notifications
    /// that arrive meanwhile are kept for [`Client::notification`].
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let until = Instant::now() + self.deadline;
        loop {
            let message = self.receive(until, method);
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
            self.pending.push_back(message);
        }
    }

    /// The next notification named `method` (earlier others are kept).
    pub fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            return self.pending.remove(i).unwrap_or_default();
        }
        let until = Instant::now() + self.deadline;
        loop {
            let message = self.receive(until, method);
            if message["method"] == method {
                return message;
            }
            self.pending.push_back(message);
        }
    }

    fn receive(&mut self, until: Instant, waiting_for: &str) -> Value {
        let left = until.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                panic!(
                    "no `{waiting_for}` from fgac lsp within {:?}",
                    self.deadline
                )
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("fgac lsp closed its output while `{waiting_for}` was awaited")
            }
        }
    }

    /// `shutdown`, then `exit`; the server's exit status, waited for up to the deadline.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let reply = self.request("shutdown", Value::Null);
        assert!(reply.get("error").is_none(), "{reply}");
        self.notify("exit", Value::Null);
        let until = Instant::now() + self.deadline;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("fgac lsp did not exit after `exit`");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A test that failed midway leaves no server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `Content-Length`-framed JSON message, or `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A `file://` URI for `path` (absolute, Unix).
pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
