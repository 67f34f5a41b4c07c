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
    /// Where the output goes, or why it cannot go there. Touches nothing
    /// but a probe file in the folder of a new or regular file.
    pub fn resolve(flag: &str, path: &Path) -> Result<Target> {
        let shown = || format!("{flag} {}", quoted(path));
        if path.as_os_str() == "-" {
            return Ok(Target::Stdout);
        }
        let text = path.as_os_str().to_string_lossy();
        if text.is_empty() || text.ends_with('/') || path.is_dir() {
            return Err(input(format!("{}: expected a file name, not a folder", shown())));
        }
        if text.starts_with("/dev/") || text.starts_with("/proc/") {
            return match std::fs::metadata(path) {
                Ok(m) if m.is_dir() => Err(input(format!("{}: expected a file name, not a folder", shown()))),
                Ok(_) => Ok(Target::InPlace(path.to_path_buf())),
                Err(e) => Err(input(format!("{}: {}", shown(), e))),
            };
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {
                if m.permissions().readonly() {
                    return Err(input(format!("{}: the file is read-only; not overwritten", shown())));
                }
                let real = std::fs::canonicalize(path).map_err(|e| input(format!("{}: {e}", shown())))?;
                probe_folder(&shown(), &real)?;
                Ok(Target::Replace(real))
            }
            Ok(_) => Ok(Target::InPlace(path.to_path_buf())),
            Err(_) if std::fs::symlink_metadata(path).is_ok() => {
                Err(input(format!("{}: a symbolic link to nowhere; not followed", shown())))
            }
            Err(_) => {
                let folder = parent_of(path);
                if !folder.is_dir() {
                    return Err(input(format!("{}: folder {} does not exist", shown(), quoted(folder))));
                }
                let name = path.file_name().ok_or_else(|| input(format!("{}: expected a file name", shown())))?;
                let real = std::fs::canonicalize(folder).map_err(|e| input(format!("{}: {e}", shown())))?.join(name);
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
/// one of `inputs`, the files the command reads. Returns the targets in
/// the order given.
pub fn check(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<Vec<Target>> {
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
            if same && !(matches!(target, Target::InPlace(_)) && is_null(path)) {
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
    Ok(targets.into_iter().map(|(_, _, t)| t).collect())
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

/// A temporary file, listed for [`remove_temporaries`] while it exists.
pub struct Temporary {
    file: Option<tempfile::NamedTempFile>,
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
        let file = builder.tempfile_in(folder)?;
        TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).push(file.path().to_path_buf());
        Ok(Temporary { file: Some(file) })
    }

    pub fn path(&self) -> &Path {
        self.file.as_ref().expect("present until dropped").path()
    }

    pub fn as_file(&self) -> &File {
        self.file.as_ref().expect("present until dropped").as_file()
    }

    fn take(&mut self) -> tempfile::NamedTempFile {
        let file = self.file.take().expect("present until dropped");
        unlist(file.path());
        file
    }
}

fn unlist(path: &Path) {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != path);
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            unlist(file.path());
        }
    }
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
    /// the files this batch already renamed into place are removed, and
    /// the error says so.
    pub fn commit(mut self) -> Result<()> {
        self.staged.sort_by_key(|s| matches!(s.target, Target::Replace(_)));
        let mut renamed: Vec<PathBuf> = Vec::new();
        let mut written: Vec<String> = Vec::new();
        for mut s in std::mem::take(&mut self.staged) {
            let result = match &s.target {
                Target::Replace(path) => replace(s.temporary.take(), path).map(|()| renamed.push(path.clone())),
                // A reader that stops early (`| head`) wanted no more.
                Target::Stdout => copy_into(&s.temporary, &mut std::io::stdout().lock())
                    .or_else(|e| if e.kind() == std::io::ErrorKind::BrokenPipe { Ok(()) } else { Err(e) }),
                Target::InPlace(path) => {
                    OpenOptions::new().write(true).open(path).and_then(|mut f| copy_into(&s.temporary, &mut f))
                }
            };
            if let Err(e) = result {
                for path in &renamed {
                    let _ = std::fs::remove_file(path);
                }
                let mut what = "no other output was written".to_string();
                if !renamed.is_empty() {
                    let names: Vec<String> = renamed.iter().map(quoted).collect();
                    what = format!("removed {}, written before it", names.join(", "));
                }
                if !written.is_empty() {
                    what += &format!("; already written in place: {}", written.join(", "));
                }
                return Err(Error::Output(format!("{}: {e}; {what}", s.shown)));
            }
            if !matches!(s.target, Target::Replace(_)) {
                written.push(s.shown.clone());
            }
        }
        Ok(())
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
    paths.iter().flatten().any(|p| p.as_os_str() == "-")
}
