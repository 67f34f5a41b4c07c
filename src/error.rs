//! The library's one error type. The binary prints it as one line and maps
//! it to an exit code: 2 for bad input, 1 for failures at run time.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the user gave is out of range or malformed.
    #[error("{0}")]
    Input(String),

    /// A starts file that cannot be read or parsed (row and column named).
    #[error("starts file {path}: {message}")]
    StartsFile { path: PathBuf, message: String },

    /// No GPU adapter could run the job.
    #[error("{0}")]
    NoAdapter(String),

    /// The GPU reported an error while running.
    #[error("gpu: {0}")]
    Gpu(String),

    /// Drawing a picture failed.
    #[error("drawing the picture failed: {0}")]
    Plot(String),

    /// Reading or writing a file failed at run time.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    /// Exit code for the binary: 2 for bad input, 1 for run-time failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::StartsFile { .. } => 2,
            Error::NoAdapter(_) | Error::Gpu(_) | Error::Plot(_) | Error::Io { .. } => 1,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for an input error.
pub(crate) fn input(message: impl Into<String>) -> Error {
    Error::Input(message.into())
}
