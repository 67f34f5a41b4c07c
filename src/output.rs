//! Output files, written so that nothing is clobbered and nothing is left
//! half-written.
//!
//! - Every output path is checked before any work ([`check`]): its folder
//!   exists and takes new files, it is not a folder, no two outputs name
//!   the same file, and none names a file the command reads.
//! - A regular file (or a new one) is written under a temporary name beside
//!   it and renamed over it when complete. A symbolic link is followed, so
//!   the link stays a link. A new file gets the umask's mode; an existing
//!   one keeps its mode (and its owner where we may set it).
//! - What is not a regular file (a character device such as /dev/null, a
//!   FIFO, /dev/stdout, anything under /dev or /proc) is written in place,
//!   never renamed over; `-` is standard output.
//! - A command's outputs are staged together ([`Batch`]) and committed
//!   together: if any fails, the others are not left looking complete, and
//!   the error says what became of each.
//! - Temporary files are listed while they exist, so that a second Ctrl-C
//!   or SIGTERM, which quits at once, still removes them
//!   ([`remove_temporaries`]).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result, input, quoted};

/// Where one output goes, decided before the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// Not a regular file (a device, a FIFO, a path under /dev or /proc):
    /// opened and written in place, never renamed over.
    InPlace(PathBuf),
    /// A regular file or a new one, at this path with links resolved:
    /// written beside it under a temporary name, then renamed over it.
    Replace(PathBuf),
}

impl Target {
    /// Where the output goes, or why it cannot go there. Decided by what
    /// the path names, not how it is spelled. Touches nothing but a probe
    /// file in the folder of a new or regular file.
    pub fn resolve(flag: &str, path: &Path) -> Result<Target> {
        let shown = || format!("{flag} {}", quoted(path));
        let refused = |why: String| input(format!("{}: {why}", shown()));
        let refuse = |why: String| Err(refused(why));
        if path.as_os_str() == "-" {
            return Ok(Target::Stdout);
        }
        let text = path.as_os_str().to_string_lossy();
        if text.is_empty() || text.ends_with('/') || path.is_dir() {
            return refuse("expected a file name, not a folder".into());
        }
        if path.file_name().is_some_and(|n| n.len() > MAX_NAME_BYTES) {
            return refuse(format!("the file name is longer than {MAX_NAME_BYTES} bytes"));
        }
        match std::fs::metadata(path) {
            Ok(m) => {
                // /dev/stdout, /dev/fd/1, the terminal itself: our stdout,
                // written through its handle at its own offset.
                if same_file_as_stdout(&m) {
                    return Ok(Target::Stdout);
                }
                #[cfg(unix)]
                if std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()) {
                    return refuse("a socket, not a file".into());
                }
                if m.is_file() && m.permissions().readonly() {
                    return refuse("the file is read-only; not overwritten".into());
                }
                if !may_write(path) {
                    return refuse("not writable by you; not overwritten".into());
                }
                if !m.is_file() {
                    return Ok(Target::InPlace(path.to_path_buf()));
                }
                let real = std::fs::canonicalize(path).map_err(|e| refused(e.to_string()))?;
                probe_folder(&shown(), &real)?;
                Ok(Target::Replace(real))
            }
            Err(_) if std::fs::symlink_metadata(path).is_ok() => {
                refuse("a symbolic link to nowhere; not followed".into())
            }
            Err(_) => {
                let folder = parent_of(path);
                if folder.exists() && !folder.is_dir() {
                    return refuse(format!("{} is not a folder", quoted(folder)));
                }
                if !folder.is_dir() {
                    return refuse(format!("folder {} does not exist", quoted(folder)));
                }
                let name = path.file_name().ok_or_else(|| input(format!("{}: expected a file name", shown())))?;
                let real = std::fs::canonicalize(folder).map_err(|e| refused(e.to_string()))?.join(name);
                probe_folder(&shown(), &real)?;
                Ok(Target::Replace(real))
            }
        }
    }

    /// The file this target writes, for telling two outputs apart.
    fn identity(&self) -> Option<Identity> {
        match self {
            Target::Stdout => None,
            Target::InPlace(p) | Target::Replace(p) => Some(Identity::of(p)),
        }
    }
}

/// Longest file name most file systems take (NAME_MAX).
const MAX_NAME_BYTES: usize = 255;

/// Whether this process may write `path`, as the kernel decides (access(2)
/// with the real user: a file of someone else's in a folder we may write
/// in is not ours to replace).
fn may_write(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
        // SAFETY: a valid NUL-terminated path; access only reads it.
        unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
    }
    #[cfg(not(unix))]
    {
        !std::fs::metadata(path).is_ok_and(|m| m.permissions().readonly())
    }
}

/// Whether `m` is the file our standard output is open on.
fn same_file_as_stdout(m: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else { return false };
        File::from(fd).metadata().is_ok_and(|out| out.dev() == m.dev() && out.ino() == m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        false
    }
}

/// The folder a path's file is in ("." for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Checks that `real`'s folder takes new files, by making one and removing it.
fn probe_folder(shown: &str, real: &Path) -> Result<()> {
    let folder = parent_of(real);
    tempfile::Builder::new()
        .prefix(".multistart-probe-")
        .tempfile_in(folder)
        .map(drop)
        .map_err(|e| input(format!("{shown}: cannot write in folder {} ({})", quoted(folder), e.kind())))
}

/// A file's identity: device and inode where it exists (so hard links and
/// different spellings match), else its absolute path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

impl Identity {
    fn of(path: &Path) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(m) = std::fs::metadata(path) {
                return Identity::Inode(m.dev(), m.ino());
            }
        }
        let folder = std::fs::canonicalize(parent_of(path)).unwrap_or_else(|_| parent_of(path).to_path_buf());
        Identity::Path(path.file_name().map_or(folder.clone(), |name| folder.join(name)))
    }
}

/// Checks every output of a command before it starts: each can be written
/// (see [`Target::resolve`]), no two name the same file, and none names
/// one of `inputs`, the files the command reads.
pub fn check(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<()> {
    let mut targets: Vec<(&str, &Path, Target)> = Vec::new();
    let read: Vec<(&Path, Identity)> = inputs.iter().map(|p| (*p, Identity::of(p))).collect();
    for &(flag, path) in outputs {
        let target = Target::resolve(flag, path)?;
        for (other_flag, other_path, other) in &targets {
            let same = match (target.identity(), other.identity()) {
                (None, None) => true,
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            // Many outputs may go to /dev/null; no other file twice.
            if same && !is_null(path) {
                return Err(input(format!(
                    "{flag} {} and {other_flag} {} name the same file: give each output its own",
                    quoted(path),
                    quoted(other_path)
                )));
            }
        }
        if let Some(id) = target.identity()
            && let Some((input_path, _)) = read.iter().find(|(_, r)| *r == id)
        {
            return Err(input(format!(
                "{flag} {}: that is {}, which this command reads; write the output elsewhere",
                quoted(path),
                quoted(input_path)
            )));
        }
        targets.push((flag, path, target));
    }
    // Outputs written in place are staged in the temporary folder first.
    if targets.iter().any(|(_, _, t)| !matches!(t, Target::Replace(_))) {
        let folder = std::env::temp_dir();
        tempfile::Builder::new().prefix(".multistart-probe-").tempfile_in(&folder).map(drop).map_err(|e| {
            input(format!(
                "the temporary folder {} (TMPDIR), where outputs written in place are staged, takes no file ({})",
                quoted(&folder),
                e.kind()
            ))
        })?;
    }
    Ok(())
}

fn is_null(path: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|p| p == Path::new("/dev/null"))
}

/// Temporary files that exist now, for [`remove_temporaries`].
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary file of ours that still exists: for a process
/// about to quit at once (a second signal), where destructors do not run.
pub fn remove_temporaries() {
    let list = TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner());
    for path in list.iter() {
        let _ = std::fs::remove_file(path);
    }
}

/// A temporary file (or, for a backup, a hard link), listed for
/// [`remove_temporaries`] while it exists and removed when dropped.
pub struct Temporary<F = File> {
    file: Option<tempfile::NamedTempFile<F>>,
}

impl Temporary {
    /// A new temporary file in `folder`, with the mode a new file of the
    /// user's gets (0666 less the umask).
    pub fn new_in(folder: &Path, suffix: &str) -> std::io::Result<Temporary> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".multistart-").suffix(suffix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        Ok(Temporary::listed(builder.tempfile_in(folder)?))
    }

    /// The open file, to write the contents through.
    pub fn as_file(&self) -> &File {
        self.file.as_ref().expect("present until dropped").as_file()
    }
}

impl<F> Temporary<F> {
    fn listed(file: tempfile::NamedTempFile<F>) -> Temporary<F> {
        TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).push(file.path().to_path_buf());
        Temporary { file: Some(file) }
    }

    /// Where the temporary file lies.
    pub fn path(&self) -> &Path {
        self.file.as_ref().expect("present until dropped").path()
    }

    fn take(&mut self) -> tempfile::NamedTempFile<F> {
        let file = self.file.take().expect("present until dropped");
        unlist(file.path());
        file
    }
}

fn unlist(path: &Path) {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != path);
}

impl<F> Drop for Temporary<F> {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            unlist(file.path());
        }
    }
}

/// A second name (a hard link) for the file at `path`, so that what a
/// rename replaces can be put back; `None` where there is no file or no
/// link can be made.
fn backup_of(path: &Path) -> Option<Temporary<()>> {
    if !path.is_file() {
        return None;
    }
    tempfile::Builder::new()
        .prefix(".multistart-backup-")
        .make_in(parent_of(path), |link| std::fs::hard_link(path, link))
        .ok()
        .map(Temporary::listed)
}

/// A temporary file for an output at `target`: beside it for a rename, in
/// the system's temporary folder for an output written in place.
pub fn temporary_for(target: &Target, suffix: &str) -> std::io::Result<Temporary> {
    match target {
        Target::Replace(path) => Temporary::new_in(parent_of(path), suffix),
        Target::Stdout | Target::InPlace(_) => Temporary::new_in(&std::env::temp_dir(), suffix),
    }
}

/// One staged output: its complete contents in a temporary file.
struct Staged {
    shown: String,
    target: Target,
    temporary: Temporary,
}

/// A command's outputs, staged one by one and committed together.
#[derive(Default)]
pub struct Batch {
    staged: Vec<Staged>,
}

impl Batch {
    /// A batch with nothing staged.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Writes an output's whole contents through `fill` into a temporary
    /// file; nothing reaches `path` until [`Batch::commit`].
    pub fn stage(&mut self, path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        let target = Target::resolve("output", path)?;
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let temporary = temporary_for(&target, ".tmp").map_err(io)?;
        {
            let mut out = BufWriter::new(temporary.as_file());
            fill(&mut out).map_err(io)?;
            out.flush().map_err(io)?;
        }
        self.add(path, target, temporary)
    }

    /// Adds an output already written to `temporary` (made by
    /// [`temporary_for`]), such as a picture or a streamed CSV.
    pub fn add(&mut self, path: &Path, target: Target, temporary: Temporary) -> Result<()> {
        // Disk full shows here, before anything is committed.
        temporary.as_file().sync_all().map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        self.staged.push(Staged { shown: quoted(path), target, temporary });
        Ok(())
    }

    /// Puts every staged output in place: first those written in place
    /// (which can fail on a full device), then the renames. On a failure,
    /// the files this batch already renamed into place are undone (a file
    /// they replaced is put back, a new one removed), and the error says so.
    pub fn commit(mut self) -> Result<()> {
        self.staged.sort_by_key(|s| matches!(s.target, Target::Replace(_)));
        let mut renamed: Vec<(PathBuf, Option<Temporary<()>>)> = Vec::new();
        let mut written: Vec<String> = Vec::new();
        for mut s in std::mem::take(&mut self.staged) {
            let result = match &s.target {
                Target::Replace(path) => {
                    let backup = backup_of(path);
                    replace(s.temporary.take(), path).map(|()| renamed.push((path.clone(), backup)))
                }
                // A reader that stops early (`| head`) wanted no more.
                Target::Stdout => copy_into(&s.temporary, &mut std::io::stdout().lock())
                    .or_else(|e| if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e) }),
                Target::InPlace(path) => {
                    OpenOptions::new().append(true).open(path).and_then(|mut f| copy_into(&s.temporary, &mut f))
                }
            };
            if let Err(e) = result {
                let mut what: Vec<String> =
                    renamed.into_iter().rev().map(|(path, backup)| undo(&path, backup)).collect();
                if what.is_empty() {
                    what.push("no other output was written".into());
                }
                if !written.is_empty() {
                    what.push(format!("already written in place: {}", written.join(", ")));
                }
                return Err(Error::Output(format!("{}: {e}; {}", s.shown, what.join("; "))));
            }
            if !matches!(s.target, Target::Replace(_)) {
                written.push(s.shown.clone());
            }
        }
        Ok(())
    }
}

/// Takes back one rename of a failed batch: the replaced file is put back
/// from its backup, a new file removed. Says which.
fn undo(path: &Path, backup: Option<Temporary<()>>) -> String {
    match backup {
        Some(mut b) => match b.take().persist(path) {
            Ok(()) => format!("{} restored as it was", quoted(path)),
            Err(_) => format!("{} replaced, and could not be restored", quoted(path)),
        },
        None => match std::fs::remove_file(path) {
            Ok(()) => format!("{} removed", quoted(path)),
            Err(_) => format!("{} written, and could not be removed", quoted(path)),
        },
    }
}

/// Copies a staged file's bytes to `out`.
fn copy_into(temporary: &Temporary, out: &mut dyn Write) -> std::io::Result<()> {
    let mut file = temporary.as_file().try_clone()?;
    std::io::Seek::rewind(&mut file)?;
    std::io::copy(&mut file, out)?;
    out.flush()
}

/// Renames a complete temporary file over `path`; an existing file's mode
/// (and owner, where we may set it) carries over.
fn replace(file: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Ok(old) = std::fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        file.as_file().set_permissions(old.permissions())?;
        let _ = std::os::unix::fs::fchown(file.as_file(), Some(old.uid()), Some(old.gid()));
    }
    file.persist(path).map(drop).map_err(|e| e.error)
}

/// An output's name for a message: `-` is "standard output".
pub fn describe(path: &Path) -> String {
    if path.as_os_str() == "-" { "standard output".to_string() } else { quoted(path) }
}

/// Whether any of these outputs is standard output (then the table goes to
/// stderr, so `--json - | jq` reads JSON only).
pub fn any_stdout(paths: &[Option<&Path>]) -> bool {
    paths
        .iter()
        .flatten()
        .any(|p| p.as_os_str() == "-" || (!is_null(p) && std::fs::metadata(p).is_ok_and(|m| same_file_as_stdout(&m))))
}

/// Checks the (flag, path) outputs given, all together, against each other
/// and against the files read: see `output::check`.
pub fn check_named(named: &[(&str, &Option<PathBuf>)], inputs: &[PathBuf]) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = named.iter().filter_map(|(flag, p)| p.as_deref().map(|p| (*flag, p))).collect();
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    check(&outputs, &inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_batch_puts_back_the_file_it_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
        std::fs::write(&old, "before\n").unwrap();
        let mut batch = Batch::new();
        batch.stage(&old, |w| w.write_all(b"after\n")).unwrap();
        batch.stage(&new, |w| w.write_all(b"new\n")).unwrap();
        // A target that fails at commit: its folder vanishes after staging.
        let gone = dir.path().join("gone");
        std::fs::create_dir(&gone).unwrap();
        batch.stage(&gone.join("x.json"), |w| w.write_all(b"x\n")).unwrap();
        for entry in std::fs::read_dir(&gone).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        std::fs::remove_dir(&gone).unwrap();
        let err = batch.commit().unwrap_err().to_string();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "before\n", "{err}");
        assert!(!new.exists(), "{err}");
        assert!(err.contains("restored as it was") && err.contains("removed"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("old.json")]);
    }
}
