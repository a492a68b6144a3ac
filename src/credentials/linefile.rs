//! Append-only text files of one record per line, shared by several processes: the revocation
//! log and the issuance ledger.
//!
//! * **Locking.** Every writer holds an exclusive lock ([`File::lock`]) on a sidecar file,
//!   `PATH.lock`, while it writes, so that appends by several processes, the cutting of a torn
//!   tail and a compaction never interleave. The sidecar is never renamed or truncated, so its
//!   lock holds across a compaction that replaces the file itself. Readers take no lock: they
//!   read complete lines only.
//! * **Appending.** Under the lock, a last line without its line break (a writer killed in the
//!   middle of a line: never acknowledged) is cut off, then the new lines are written with one
//!   `write` and, when asked, `fdatasync`ed before the append returns. Every append therefore
//!   starts on a fresh line, whatever the file held.
//! * **Replacing** (compaction, restoring): the new text is written to `PATH.new`, synced, and
//!   renamed over `PATH`, and the directory synced: a reader or a crash sees the old file or the
//!   new one, never a mix.
//! * **Identity.** A reader tells a file that grew from one that was replaced (another inode), cut
//!   short, or rewritten in place, by its [`Identity`] and the last line it applied.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Which file a path named, and how long it was, when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    /// Device and inode (0 and 0 where the platform has none).
    pub(crate) file: (u64, u64),
    /// Length in bytes.
    pub(crate) len: u64,
}

impl Identity {
    pub(crate) fn of_metadata(m: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        let file = {
            use std::os::unix::fs::MetadataExt as _;
            (m.dev(), m.ino())
        };
        #[cfg(not(unix))]
        let file = (0, 0);
        Identity { file, len: m.len() }
    }

    /// The identity of what `path` names now; `None` when nothing is there.
    pub(crate) fn of(path: &Path) -> io::Result<Option<Identity>> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(Identity::of_metadata(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The length of the complete lines of `bytes` (up to and including the last line break).
pub(crate) fn complete_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// An exclusive lock on a line file's sidecar, held until dropped.
pub(crate) struct Locked {
    _sidecar: File,
    path: PathBuf,
}

/// Takes the writers' lock of the file at `path` (blocking until the current holder is done).
pub(crate) fn lock(path: &Path) -> io::Result<Locked> {
    let mut sidecar_path = path.as_os_str().to_owned();
    sidecar_path.push(".lock");
    let sidecar = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(PathBuf::from(sidecar_path))?;
    sidecar.lock()?;
    Ok(Locked {
        _sidecar: sidecar,
        path: path.to_owned(),
    })
}

/// What an append found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Appended {
    /// The bytes of a torn last line that were cut off before writing.
    pub(crate) cut: u64,
    /// The file's identity after the append.
    pub(crate) identity: Identity,
}

impl Locked {
    /// Appends `lines` (each ending in a line break) to the existing file, cutting off a torn last
    /// line first; with `sync`, returns only once the data is on disk.
    pub(crate) fn append(&self, lines: &str, sync: bool) -> io::Result<Appended> {
        debug_assert!(lines.ends_with('\n'));
        let mut file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        let len = file.metadata()?.len();
        let cut = torn_tail(&mut file, len)?;
        let end = len - cut;
        if cut > 0 {
            file.set_len(end)?;
        }
        file.seek(SeekFrom::Start(end))?;
        file.write_all(lines.as_bytes())?;
        if sync || cut > 0 {
            file.sync_data()?;
        }
        Ok(Appended {
            cut,
            identity: Identity::of_metadata(&file.metadata()?),
        })
    }

    /// Replaces the file with `text` atomically (write `PATH.new`, sync, rename, sync the
    /// directory): readers and a crash see the old file or the new one.
    pub(crate) fn replace(&self, text: &str) -> io::Result<Identity> {
        let mut new_path = self.path.as_os_str().to_owned();
        new_path.push(".new");
        let new_path = PathBuf::from(new_path);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&new_path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&new_path, &self.path)?;
        sync_dir(&self.path)?;
        Ok(Identity::of_metadata(&file.metadata()?))
    }

    /// Creates the file with `text`, refusing when it exists; synced, with its directory.
    pub(crate) fn create(&self, text: &str) -> io::Result<Identity> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        sync_dir(&self.path)?;
        Ok(Identity::of_metadata(&file.metadata()?))
    }
}

/// How many bytes at the end of `file` (of length `len`) follow its last line break.
fn torn_tail(file: &mut File, len: u64) -> io::Result<u64> {
    let mut back = 0u64;
    const CHUNK: usize = 4096;
    let mut buf = [0u8; CHUNK];
    while back < len {
        let n = (len - back).min(CHUNK as u64);
        file.seek(SeekFrom::Start(len - back - n))?;
        // `n` is at most the buffer's length.
        let chunk = &mut buf[..usize::try_from(n).unwrap_or(CHUNK)];
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(back + (n - 1 - i as u64));
        }
        back += n;
    }
    Ok(len)
}

/// The complete lines of the file at `path` and its identity, or `None` when it does not exist.
pub(crate) fn read_complete(path: &Path) -> io::Result<Option<(Vec<u8>, Identity)>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let identity = Identity::of_metadata(&file.metadata()?);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    bytes.truncate(complete_len(&bytes));
    Ok(Some((bytes, identity)))
}

/// Reads the bytes of the file at `path` from `offset`, complete lines only.
pub(crate) fn read_from(path: &Path, offset: u64) -> io::Result<Option<(Vec<u8>, Identity)>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let identity = Identity::of_metadata(&file.metadata()?);
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    bytes.truncate(complete_len(&bytes));
    Ok(Some((bytes, identity)))
}

/// Syncs the directory holding `path`, so that a newly created or renamed file's name is on
/// disk.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fgac-linefile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn appends_start_on_a_fresh_line_whatever_the_file_holds() {
        let dir = scratch("fresh");
        let path = dir.join("f.log");
        let l = lock(&path).unwrap();
        l.create("# head\n").unwrap();
        l.append("one\n", true).unwrap();
        drop(l);
        // A writer killed in the middle of a line, and one that left a long torn line.
        for torn in ["tw".to_owned(), "x".repeat(10_000)] {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap()
                .write_all(torn.as_bytes())
                .unwrap();
            let l = lock(&path).unwrap();
            let done = l.append("two\n", true).unwrap();
            assert_eq!(done.cut, torn.len() as u64);
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "# head\none\ntwo\n"
            );
            std::fs::write(&path, "# head\none\n").unwrap();
        }
        // A file that is nothing but a torn line.
        std::fs::write(&path, "partial").unwrap();
        lock(&path).unwrap().append("a\n", false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n");
        let (bytes, id) = read_complete(&path).unwrap().unwrap();
        assert_eq!((bytes.as_slice(), id.len), (&b"a\n"[..], 2));
        assert!(read_complete(&dir.join("none")).unwrap().is_none());
        assert!(
            lock(&dir.join("none"))
                .unwrap()
                .append("x\n", true)
                .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn replacing_is_atomic_and_changes_the_identity() {
        let dir = scratch("replace");
        let path = dir.join("f.log");
        let l = lock(&path).unwrap();
        let first = l.create("a\nb\n").unwrap();
        assert!(l.create("again\n").is_err(), "create never overwrites");
        let second = l.replace("b\n").unwrap();
        assert_ne!(first.file, second.file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b\n");
        assert_eq!(
            read_from(&path, 1).unwrap().unwrap().0,
            b"\n".to_vec(),
            "complete lines from an offset"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
