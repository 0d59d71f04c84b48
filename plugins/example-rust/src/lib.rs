//! example-rust: a homeboy storage plugin in Rust, on the `homeboy-storage-plugin` crate: no
//! struct copied by hand, no `unsafe` but the one system call the standard library lacks.
//!
//! Every stored path lives under one folder on disk: "/a/b.txt" is "<root>/data/a/b.txt", where
//! root is the provider config's "root" (by default "<config folder>/<module id>-store").
//! It offers versions (compare-and-swap): each stored file starts with its version, a number
//! taken from <root>/counter, and every change holds an exclusive lock on <root>/lock, so a
//! conditional write checks the version and writes in one step, against every other process.
//! A write goes to a temp file in <root>/tmp and is renamed into place.

use homeboy_storage_plugin::{export_plugin, Condition, CreateInfo, Error, ErrorCode, Output, Storage};
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

extern "C" {
    fn flock(fd: i32, operation: i32) -> i32; // from the C library every Rust program links
}
const LOCK_EX: i32 = 2;

/// An exclusive lock on the store, released when dropped (the file is closed).
struct Lock {
    _held: File, // closing it releases the lock
}

impl Lock {
    fn take(path: &Path) -> Result<Lock, Error> {
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::from_io("cannot open the lock", &e))?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { flock(file.as_raw_fd(), LOCK_EX) } != 0 {
            return Err(Error::from_io("cannot lock the store", &std::io::Error::last_os_error()));
        }
        Ok(Lock { _held: file })
    }
}

struct ExampleRust {
    data: PathBuf,
    tmp: PathBuf,
    lock: PathBuf,
    counter: PathBuf,
}

fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

impl ExampleRust {
    /// The file for a stored path (absolute, normalized by the host).
    fn locate(&self, path: &[u8]) -> Result<PathBuf, Error> {
        if path.first() != Some(&b'/') {
            return Err(Error::invalid_argument(format!("path must be absolute: {}", shown(path))));
        }
        let mut file = self.data.clone();
        for name in path.split(|&b| b == b'/').filter(|n| !n.is_empty()) {
            if name == b"." || name == b".." {
                return Err(Error::invalid_argument(format!("path must not hold . or ..: {}", shown(path))));
            }
            file.push(OsStr::from_bytes(name));
        }
        Ok(file)
    }

    /// A stored file: its version and its content.
    fn load(file: &Path) -> std::io::Result<(String, Vec<u8>)> {
        let mut bytes = Vec::new();
        File::open(file)?.read_to_end(&mut bytes)?;
        let newline = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
        let version = String::from_utf8_lossy(&bytes[..newline]).into_owned();
        let content = bytes.split_off((newline + 1).min(bytes.len()));
        Ok((version, content))
    }

    fn version_of(file: &Path) -> Option<String> {
        Self::load(file).ok().map(|(version, _)| version)
    }

    /// The next version: a number never handed out before (the caller holds the lock).
    fn next_version(&self) -> Result<String, Error> {
        let current = fs::read_to_string(&self.counter).unwrap_or_default();
        let next = current.trim().parse::<u64>().unwrap_or(0) + 1;
        fs::write(&self.counter, next.to_string()).map_err(|e| Error::from_io("cannot count versions", &e))?;
        Ok(next.to_string())
    }

    fn write_checked(&mut self, path: &[u8], content: &[u8], condition: Option<Condition>, out: &mut Output)
        -> Result<(), Error> {
        let file = self.locate(path)?;
        let parent = file.parent().unwrap_or(&self.data);
        if !parent.is_dir() {
            return Err(Error::not_found(format!("folder does not exist: {}", parent.display())));
        }
        let _lock = Lock::take(&self.lock)?;
        if file.is_dir() {
            return Err(Error::invalid_argument(format!("is a folder, not a file: {}", shown(path))));
        }
        let current = Self::version_of(&file);
        match (condition, &current) {
            (Some(Condition::IfAbsent), Some(_)) => return Err(Error::conflict(format!("already exists: {}", shown(path)))),
            (Some(Condition::IfVersion(wanted)), None) => {
                return Err(Error::conflict(format!("was deleted since version {}: {}", shown(wanted), shown(path))))
            }
            (Some(Condition::IfVersion(wanted)), Some(now)) if now.as_bytes() != wanted => {
                return Err(Error::conflict(format!("changed since version {} (now {}): {}", shown(wanted), now, shown(path))))
            }
            _ => {}
        }
        let version = self.next_version()?;
        let temp = self.tmp.join(format!("{}-{}", std::process::id(), version));
        let written = (|| -> std::io::Result<()> {
            let mut f = File::create(&temp)?;
            f.write_all(version.as_bytes())?;
            f.write_all(b"\n")?;
            f.write_all(content)?;
            f.sync_all()?;
            fs::rename(&temp, &file)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(Error::from_io(&format!("cannot write {}", shown(path)), &e));
        }
        out.version(version.as_bytes());
        Ok(())
    }

    fn remove_checked(&mut self, path: &[u8], is_directory: bool, condition: Option<Condition>) -> Result<(), Error> {
        let file = self.locate(path)?;
        if file == self.data {
            return Err(Error::invalid_argument("refusing to delete the root folder"));
        }
        let _lock = Lock::take(&self.lock)?;
        let meta = fs::symlink_metadata(&file)
            .map_err(|_| Error::not_found(format!("no such file or folder: {}", shown(path))))?;
        if meta.is_dir() {
            if !is_directory {
                return Err(Error::invalid_argument(format!(
                    "is a folder: {} (delete it with its contents: is_directory)", shown(path))));
            }
            if condition.is_some() {
                return Err(Error::invalid_argument(format!("a folder has no version: {}", shown(path))));
            }
            return fs::remove_dir_all(&file).map_err(|e| Error::from_io(&format!("cannot delete {}", shown(path)), &e));
        }
        if let Some(Condition::IfVersion(wanted)) = condition {
            let now = Self::version_of(&file).unwrap_or_default();
            if now.as_bytes() != wanted {
                return Err(Error::conflict(format!("changed since version {} (now {}): {}", shown(wanted), now, shown(path))));
            }
        }
        fs::remove_file(&file).map_err(|e| Error::from_io(&format!("cannot delete {}", shown(path)), &e))
    }
}

impl Storage for ExampleRust {
    const VERSIONS: bool = true;

    fn create(info: &CreateInfo) -> Result<Self, Error> {
        let root = match info.config("root") {
            Some(root) => PathBuf::from(root),
            None => {
                let module_dir = PathBuf::from(info.module_dir());
                let id = module_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                PathBuf::from(info.config_dir()).join(format!("{}-store", id))
            }
        };
        if !root.is_absolute() {
            return Err(Error::invalid_argument(format!("config \"root\" must be an absolute folder: {}", root.display())));
        }
        let store = ExampleRust {
            data: root.join("data"),
            tmp: root.join("tmp"),
            lock: root.join("lock"),
            counter: root.join("counter"),
        };
        for folder in [&store.data, &store.tmp] {
            fs::create_dir_all(folder).map_err(|e| Error::from_io(&format!("cannot create {}", folder.display()), &e))?;
        }
        Ok(store)
    }

    fn read(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error> {
        let file = self.locate(path)?;
        let meta = fs::metadata(&file).map_err(|e| Error::from_io(&format!("cannot read {}", shown(path)), &e))?;
        if meta.is_dir() {
            return Err(Error::invalid_argument(format!("is a folder, not a file: {}", shown(path))));
        }
        if !meta.is_file() {
            return Err(Error::invalid_argument(format!("is not a regular file: {}", shown(path))));
        }
        if meta.len() > (256 << 20) + 32 {
            return Err(Error::new(ErrorCode::TooLarge, format!("{} is larger than 256 MiB", shown(path))));
        }
        let (version, content) = Self::load(&file).map_err(|e| Error::from_io(&format!("cannot read {}", shown(path)), &e))?;
        out.data(&content);
        out.version(version.as_bytes());
        Ok(())
    }

    fn write(&mut self, path: &[u8], content: &[u8], out: &mut Output) -> Result<(), Error> {
        self.write_checked(path, content, None, out)
    }

    fn write_if(&mut self, path: &[u8], content: &[u8], condition: Condition, out: &mut Output) -> Result<(), Error> {
        self.write_checked(path, content, Some(condition), out)
    }

    fn list(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error> {
        let folder = self.locate(path)?;
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()), // a missing folder lists as empty
            Err(_) if folder.is_file() => {
                return Err(Error::invalid_argument(format!("is a file, not a folder: {}", shown(path))))
            }
            Err(e) => return Err(Error::from_io(&format!("cannot list {}", shown(path)), &e)),
        };
        let prefix: &[u8] = if path == b"/" { b"" } else { path };
        for entry in entries {
            let entry = entry.map_err(|e| Error::from_io(&format!("cannot list {}", shown(path)), &e))?;
            let mut child = prefix.to_vec();
            child.push(b'/');
            child.extend_from_slice(entry.file_name().as_bytes());
            out.entry(&child, entry.path().is_dir()); // any order: the host sorts
        }
        Ok(())
    }

    fn remove(&mut self, path: &[u8], is_directory: bool, _out: &mut Output) -> Result<(), Error> {
        self.remove_checked(path, is_directory, None)
    }

    fn remove_if(&mut self, path: &[u8], is_directory: bool, condition: Condition, _out: &mut Output)
        -> Result<(), Error> {
        self.remove_checked(path, is_directory, Some(condition))
    }

    fn ensure_dir(&mut self, path: &[u8], _out: &mut Output) -> Result<(), Error> {
        let folder = self.locate(path)?;
        let _lock = Lock::take(&self.lock)?;
        // A file at the path or above it is in the way.
        let mut at = folder.as_path();
        while at != self.data {
            if at.exists() && !at.is_dir() {
                return Err(Error::conflict(format!("a file is in the way: {}", shown(path))));
            }
            at = match at.parent() {
                Some(parent) => parent,
                None => break,
            };
        }
        fs::create_dir_all(&folder).map_err(|e| Error::from_io(&format!("cannot create folder {}", shown(path)), &e))
    }
}

export_plugin!(ExampleRust, "example-rust");
