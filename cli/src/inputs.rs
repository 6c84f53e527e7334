//! Image arguments: a file, a directory (its image files), a glob pattern (expanded here,
//! so quoting works the same in every shell), or `-` for standard input.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::exit::CliError;

/// File extensions a directory or glob picks up (case-insensitive). A file named
/// explicitly is sent whatever its name; the core checks its bytes.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff"];

/// One image to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file.
    Path(PathBuf),
    /// Standard input (read once, whole).
    Stdin,
}

impl Input {
    /// How results name this input.
    pub fn label(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "-".to_owned(),
        }
    }

    /// The image bytes (blocking read).
    pub fn read(&self) -> Result<Vec<u8>, CliError> {
        match self {
            Input::Path(p) => std::fs::read(p).map_err(|e| CliError::io(p.display(), e)),
            Input::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut buf)
                    .map_err(|e| CliError::io("standard input", e))?;
                if buf.is_empty() {
                    return Err(CliError::Io("standard input: no image data".to_owned()));
                }
                Ok(buf)
            }
        }
    }
}

fn is_image_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expand image arguments into inputs, in argument order (directory and glob entries
/// sorted by name). Errors name the argument that matched nothing.
pub fn expand(args: &[String]) -> Result<Vec<Input>, CliError> {
    let mut out = Vec::new();
    let mut stdin_used = false;
    for arg in args {
        if arg == "-" {
            if stdin_used {
                return Err(CliError::Usage(
                    "standard input (-) can be given only once".to_owned(),
                ));
            }
            stdin_used = true;
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut files = Vec::new();
            let entries = std::fs::read_dir(path).map_err(|e| CliError::io(arg, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| CliError::io(arg, e))?;
                let p = entry.path();
                if p.is_file() && is_image_name(&p) {
                    files.push(p);
                }
            }
            if files.is_empty() {
                return Err(CliError::Io(format!(
                    "{arg}: no image files (.jpg, .png, …) in this directory"
                )));
            }
            files.sort();
            out.extend(files.into_iter().map(Input::Path));
        } else if path.exists() {
            out.push(Input::Path(path.to_path_buf()));
        } else if has_glob_meta(arg) {
            let paths =
                glob::glob(arg).map_err(|e| CliError::Usage(format!("{arg}: bad pattern: {e}")))?;
            let mut files = Vec::new();
            for p in paths {
                let p = p.map_err(|e| CliError::io(arg, e))?;
                if p.is_file() && is_image_name(&p) {
                    files.push(p);
                }
            }
            if files.is_empty() {
                return Err(CliError::Io(format!("{arg}: no image file matches")));
            }
            files.sort();
            out.extend(files.into_iter().map(Input::Path));
        } else {
            return Err(CliError::Io(format!("{arg}: no such file or directory")));
        }
    }
    Ok(out)
}

/// Exactly one image (file or `-`): for commands that take a single probe or face.
pub fn single(arg: &str) -> Result<Input, CliError> {
    if arg != "-" && Path::new(arg).is_dir() {
        return Err(CliError::Usage(format!(
            "{arg} is a directory; this command takes one image"
        )));
    }
    let mut all = expand(std::slice::from_ref(&arg.to_owned()))?;
    if all.len() != 1 {
        return Err(CliError::Usage(format!(
            "{arg} matches {} files; this command takes one image",
            all.len()
        )));
    }
    all.pop()
        .ok_or_else(|| CliError::Usage(format!("{arg}: no image")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_dirs_globs_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.jpg", "a.PNG", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let d = dir.path().to_str().unwrap().to_owned();
        let got = expand(std::slice::from_ref(&d)).unwrap();
        assert_eq!(
            got,
            vec![
                Input::Path(dir.path().join("a.PNG")),
                Input::Path(dir.path().join("b.jpg"))
            ]
        );
        let got = expand(&[format!("{d}/*.jpg"), "-".into()]).unwrap();
        assert_eq!(
            got,
            vec![Input::Path(dir.path().join("b.jpg")), Input::Stdin]
        );
        assert!(matches!(
            expand(&["-".into(), "-".into()]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            expand(&[format!("{d}/*.gif")]),
            Err(CliError::Io(_))
        ));
        assert!(matches!(
            expand(&[format!("{d}/missing.jpg")]),
            Err(CliError::Io(_))
        ));
        // An explicitly named file is taken whatever its extension.
        assert_eq!(expand(&[format!("{d}/notes.txt")]).unwrap().len(), 1);
        assert!(matches!(single(&d), Err(CliError::Usage(_))));
    }
}
