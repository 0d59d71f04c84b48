//! Write a homeboy storage plugin in Rust.
//!
//! [`sys`] is the C ABI of `homeboy/storage_plugin.h`, checked member by member against the
//! header by `tests/layout.rs`. Above it, implement [`Storage`] for your type and call
//! [`export_plugin!`] once: no struct is copied by hand, no `unsafe` is written, and a panic
//! never crosses into the host (it becomes an `io_error` naming the operation).
//!
//! ```ignore
//! use homeboy_storage_plugin::{export_plugin, CreateInfo, Error, Output, Storage};
//!
//! struct MyStore { /* ... */ }
//!
//! impl Storage for MyStore {
//!     fn create(info: &CreateInfo) -> Result<Self, Error> { /* info.config("root") ... */ }
//!     fn read(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error> { out.data(b"..."); Ok(()) }
//!     fn write(&mut self, path: &[u8], content: &[u8], out: &mut Output) -> Result<(), Error> { Ok(()) }
//!     fn list(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error> { Ok(()) }
//!     fn remove(&mut self, path: &[u8], is_directory: bool, out: &mut Output) -> Result<(), Error> { Ok(()) }
//!     fn ensure_dir(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error> { Ok(()) }
//! }
//! export_plugin!(MyStore, "my-store");
//! ```
//!
//! The plugin speaks every ABI version the header describes (1 to 3) and takes whatever the
//! host offers: version-1 batches at the frozen strides, version-2 batches as arrays of
//! pointers, and [`ErrorCode::TooLarge`] only where version 3 was negotiated
//! (`invalid_argument` before it).

pub mod sys;

use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The storage contract's error codes (docs/storage-contract.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    PermissionDenied,
    InvalidArgument,
    Unsupported,
    Conflict,
    Io,
    Unavailable,
    Aborted,
    TooLarge,
}

impl ErrorCode {
    /// The status for a host that negotiated `abi_version`.
    pub fn status(self, abi_version: u32) -> sys::homeboy_status {
        match self {
            ErrorCode::NotFound => sys::HOMEBOY_ERR_NOT_FOUND,
            ErrorCode::PermissionDenied => sys::HOMEBOY_ERR_PERMISSION_DENIED,
            ErrorCode::InvalidArgument => sys::HOMEBOY_ERR_INVALID_ARGUMENT,
            ErrorCode::Unsupported => sys::HOMEBOY_ERR_UNSUPPORTED,
            ErrorCode::Conflict => sys::HOMEBOY_ERR_CONFLICT,
            ErrorCode::Io => sys::HOMEBOY_ERR_IO,
            ErrorCode::Unavailable => sys::HOMEBOY_ERR_UNAVAILABLE,
            ErrorCode::Aborted => sys::HOMEBOY_ERR_ABORTED,
            ErrorCode::TooLarge if abi_version >= 3 => sys::HOMEBOY_ERR_TOO_LARGE,
            ErrorCode::TooLarge => sys::HOMEBOY_ERR_INVALID_ARGUMENT,
        }
    }
}

/// A failed operation: a code and a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Conflict, message)
    }
    pub fn io(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Io, message)
    }
    /// The code for an operating-system error, with `what` and the system's reason.
    pub fn from_io(what: &str, error: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        let code = match error.kind() {
            ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::PermissionDenied => ErrorCode::PermissionDenied,
            ErrorKind::AlreadyExists => ErrorCode::Conflict,
            _ if error.raw_os_error() == Some(20) => ErrorCode::NotFound, // ENOTDIR: a file where a folder should be
            _ if error.raw_os_error() == Some(21) => ErrorCode::InvalidArgument, // EISDIR
            _ => ErrorCode::Io,
        };
        Error::new(code, format!("{}: {}", what, error))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

/// A condition on a write or delete (with [`Storage::VERSIONS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition<'a> {
    /// Apply only while the path's current version is this one.
    IfVersion(&'a [u8]),
    /// Apply only while nothing is at the path (writes only).
    IfAbsent,
}

impl<'a> Condition<'a> {
    /// # Safety
    /// `c` is a valid host condition for the duration of `'a`.
    unsafe fn from_raw(c: *const sys::homeboy_condition) -> Option<Condition<'a>> {
        if c.is_null() {
            return None;
        }
        let c = &*c;
        Some(if c.kind == sys::HOMEBOY_IF_ABSENT {
            Condition::IfAbsent
        } else {
            Condition::IfVersion(bytes(c.version, c.version_size))
        })
    }
}

/// What `create` is told.
pub struct CreateInfo<'a> {
    raw: &'a sys::homeboy_create_info,
}

impl<'a> CreateInfo<'a> {
    /// The negotiated ABI version.
    pub fn abi_version(&self) -> u32 {
        self.raw.abi_version
    }
    /// The provider config (the manifest's `storage_provider.config`) as JSON text.
    pub fn config_json(&self) -> &'a [u8] {
        unsafe { bytes(self.raw.config_json, self.raw.config_json_size) }
    }
    /// A top-level config value as text (strings as they are, numbers and booleans as JSON
    /// spells them), or `None` when absent or not a scalar.
    pub fn config(&self, key: &str) -> Option<String> {
        let getter = self.raw.config_get?;
        let key = std::ffi::CString::new(key).ok()?;
        let value = unsafe { getter(self.raw, key.as_ptr()) };
        if value.is_null() {
            return None;
        }
        Some(unsafe { CStr::from_ptr(value) }.to_string_lossy().into_owned())
    }
    /// homeboy's config folder, absolute.
    pub fn config_dir(&self) -> String {
        unsafe { CStr::from_ptr(self.raw.config_dir) }.to_string_lossy().into_owned()
    }
    /// The plugin's module folder, absolute.
    pub fn module_dir(&self) -> String {
        unsafe { CStr::from_ptr(self.raw.module_dir) }.to_string_lossy().into_owned()
    }
}

/// Where one operation's results go: the host's sink, valid for the call.
pub struct Output {
    raw: *mut sys::homeboy_result,
}

impl Output {
    /// A read's content, byte for byte. Once per read.
    pub fn data(&mut self, content: &[u8]) {
        unsafe {
            if let Some(set_data) = (*self.raw).set_data {
                set_data(self.raw, content.as_ptr() as *const c_char, content.len());
            }
        }
    }
    /// One immediate child of the folder listed, by its absolute path. Any order.
    pub fn entry(&mut self, path: &[u8], is_directory: bool) {
        unsafe {
            if let Some(add_entry) = (*self.raw).add_entry {
                add_entry(self.raw, path.as_ptr() as *const c_char, path.len(), i32::from(is_directory));
            }
        }
    }
    /// The version of what was read or written (with [`Storage::VERSIONS`]); ignored by a
    /// host that takes no versions.
    pub fn version(&mut self, version: &[u8]) {
        unsafe {
            let size = (*self.raw).struct_size as usize;
            if size >= sys::HOMEBOY_RESULT_V1_SIZE + std::mem::size_of::<usize>() {
                if let Some(set_version) = (*self.raw).set_version {
                    set_version(self.raw, version.as_ptr() as *const c_char, version.len());
                }
            }
        }
    }
    fn error(&mut self, message: &str) {
        unsafe {
            if let Some(set_error) = (*self.raw).set_error {
                set_error(self.raw, message.as_ptr() as *const c_char, message.len());
            }
        }
    }
}

/// A storage backend. Paths and content are bytes (paths are absolute and normalized by the
/// host); every method reports into `out` and returns `Ok(())` or the error.
pub trait Storage: Sized + 'static {
    /// Whether reads and writes report versions and `write_if` / `remove_if` are implemented
    /// (`HOMEBOY_CAP_VERSIONS`): the check and the change must be one step against every
    /// other writer.
    const VERSIONS: bool = false;

    fn create(info: &CreateInfo) -> Result<Self, Error>;
    fn read(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error>;
    /// Atomic: a reader sees the old or the new content. Creates no parent folder.
    fn write(&mut self, path: &[u8], content: &[u8], out: &mut Output) -> Result<(), Error>;
    /// The folder's immediate children; a missing folder lists as empty.
    fn list(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error>;
    fn remove(&mut self, path: &[u8], is_directory: bool, out: &mut Output) -> Result<(), Error>;
    /// Creates the folder and its parents; fine when it exists.
    fn ensure_dir(&mut self, path: &[u8], out: &mut Output) -> Result<(), Error>;

    fn write_if(&mut self, _path: &[u8], _content: &[u8], _condition: Condition, _out: &mut Output) -> Result<(), Error> {
        Err(Error::new(ErrorCode::Unsupported, "this plugin has no versions"))
    }
    fn remove_if(&mut self, _path: &[u8], _is_directory: bool, _condition: Condition, _out: &mut Output)
        -> Result<(), Error> {
        Err(Error::new(ErrorCode::Unsupported, "this plugin has no versions"))
    }
}

/// Defines the exported entry point for `$store` (a type implementing [`Storage`]). Use once.
#[macro_export]
macro_rules! export_plugin {
    ($store:ty, $name:literal) => {
        #[no_mangle]
        pub static homeboy_storage_plugin_entry: $crate::Entry = $crate::Entry::new::<$store>(concat!($name, "\0"));
    };
}

/// The exported entry point's type ([`export_plugin!`] makes it). The table is immutable and
/// its pointers are to static data, so it may be shared between threads.
#[repr(transparent)]
pub struct Entry(pub sys::homeboy_plugin_entry);
unsafe impl Sync for Entry {}

impl Entry {
    pub const fn new<S: Storage>(name_with_nul: &'static str) -> Entry {
        Entry(sys::homeboy_plugin_entry {
            struct_size: std::mem::size_of::<sys::homeboy_plugin_entry>() as u32,
            name: name_with_nul.as_ptr() as *const c_char,
            negotiate: Some(negotiate),
            create: Some(create::<S>),
        })
    }
}

// --- the adapter: C callbacks over the trait ------------------------------------------------

/// The instance the host holds: the operation table, the negotiated version and the store.
#[repr(C)]
struct Instance<S> {
    vtable: sys::homeboy_storage_vtable,
    abi_version: u32,
    store: S,
}

unsafe fn bytes<'a>(data: *const c_char, size: usize) -> &'a [u8] {
    if data.is_null() || size == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(data as *const u8, size)
    }
}

unsafe extern "C" fn negotiate(host_max_version: u32, chosen: *mut u32) -> sys::homeboy_status {
    if host_max_version < 1 || chosen.is_null() {
        return sys::HOMEBOY_ERR_UNSUPPORTED;
    }
    *chosen = host_max_version.min(sys::HOMEBOY_STORAGE_ABI_VERSION);
    sys::HOMEBOY_OK
}

/// Runs `body` for one operation: its error becomes a status and a message, a panic an
/// io_error naming `what`.
unsafe fn guarded<F>(result: *mut sys::homeboy_result, abi_version: u32, what: &str, body: F) -> sys::homeboy_status
where
    F: FnOnce(&mut Output) -> Result<(), Error>,
{
    let mut out = Output { raw: result };
    match catch_unwind(AssertUnwindSafe(|| body(&mut out))) {
        Ok(Ok(())) => sys::HOMEBOY_OK,
        Ok(Err(error)) => {
            out.error(&error.message);
            error.code.status(abi_version)
        }
        Err(_) => {
            out.error(&format!("the plugin panicked in {}", what));
            sys::HOMEBOY_ERR_IO
        }
    }
}

unsafe fn instance<'a, S>(this: *mut sys::homeboy_storage) -> &'a mut Instance<S> {
    &mut *(this as *mut Instance<S>)
}

unsafe extern "C" fn create<S: Storage>(info: *const sys::homeboy_create_info, out: *mut *mut sys::homeboy_storage,
                                        vtable: *mut *const sys::homeboy_storage_vtable,
                                        error: *mut sys::homeboy_result) -> sys::homeboy_status {
    let info = CreateInfo { raw: &*info };
    let abi_version = info.abi_version();
    let mut made = None;
    let status = guarded(error, abi_version, "create", |_| {
        made = Some(S::create(&info)?);
        Ok(())
    });
    if let Some(store) = made {
        let capabilities = sys::HOMEBOY_CAP_BATCH | if S::VERSIONS { sys::HOMEBOY_CAP_VERSIONS } else { 0 };
        let instance = Box::new(Instance {
            vtable: sys::homeboy_storage_vtable {
                struct_size: std::mem::size_of::<sys::homeboy_storage_vtable>() as u32,
                capabilities,
                read: Some(read::<S>),
                write: Some(write::<S>),
                list: Some(list::<S>),
                remove: Some(remove::<S>),
                ensure_dir: Some(ensure_dir::<S>),
                batch: Some(batch_v1::<S>),
                destroy: Some(destroy::<S>),
                write_if: if S::VERSIONS { Some(write_if::<S>) } else { None },
                remove_if: if S::VERSIONS { Some(remove_if::<S>) } else { None },
                batch_v2: Some(batch_v2::<S>),
            },
            abi_version,
            store,
        });
        let raw = Box::into_raw(instance);
        *vtable = &(*raw).vtable;
        *out = raw as *mut sys::homeboy_storage;
    }
    status
}

unsafe extern "C" fn destroy<S: Storage>(this: *mut sys::homeboy_storage) {
    let instance = Box::from_raw(this as *mut Instance<S>);
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

unsafe extern "C" fn read<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                      result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "read", |out| me.store.read(bytes(path, path_size), out))
}

unsafe extern "C" fn write<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                       content: *const c_char, content_size: usize,
                                       result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "write", |out| {
        me.store.write(bytes(path, path_size), bytes(content, content_size), out)
    })
}

unsafe extern "C" fn list<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                      result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "list", |out| me.store.list(bytes(path, path_size), out))
}

unsafe extern "C" fn remove<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                        is_directory: i32, result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "delete", |out| me.store.remove(bytes(path, path_size), is_directory != 0, out))
}

unsafe extern "C" fn ensure_dir<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                            result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "ensure_dir", |out| me.store.ensure_dir(bytes(path, path_size), out))
}

unsafe extern "C" fn write_if<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                          content: *const c_char, content_size: usize,
                                          condition: *const sys::homeboy_condition,
                                          result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "write", |out| match Condition::from_raw(condition) {
        Some(c) => me.store.write_if(bytes(path, path_size), bytes(content, content_size), c, out),
        None => me.store.write(bytes(path, path_size), bytes(content, content_size), out),
    })
}

unsafe extern "C" fn remove_if<S: Storage>(this: *mut sys::homeboy_storage, path: *const c_char, path_size: usize,
                                           is_directory: i32, condition: *const sys::homeboy_condition,
                                           result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let me = instance::<S>(this);
    guarded(result, me.abi_version, "delete", |out| match Condition::from_raw(condition) {
        Some(c) => me.store.remove_if(bytes(path, path_size), is_directory != 0, c, out),
        None => me.store.remove(bytes(path, path_size), is_directory != 0, out),
    })
}

/// One operation of a batch, as the single operation would run. `has_condition` is false for
/// version-1 tables, which end before the condition member.
unsafe fn run_one<S: Storage>(this: *mut sys::homeboy_storage, op: &sys::homeboy_op, has_condition: bool,
                              result: *mut sys::homeboy_result) -> sys::homeboy_status {
    let condition = if has_condition { op.condition } else { std::ptr::null() };
    match op.operation {
        sys::HOMEBOY_OP_READ => read::<S>(this, op.path, op.path_size, result),
        sys::HOMEBOY_OP_WRITE if !condition.is_null() && S::VERSIONS => {
            write_if::<S>(this, op.path, op.path_size, op.content, op.content_size, condition, result)
        }
        sys::HOMEBOY_OP_WRITE => write::<S>(this, op.path, op.path_size, op.content, op.content_size, result),
        sys::HOMEBOY_OP_LIST => list::<S>(this, op.path, op.path_size, result),
        sys::HOMEBOY_OP_DELETE if !condition.is_null() && S::VERSIONS => {
            remove_if::<S>(this, op.path, op.path_size, op.is_directory, condition, result)
        }
        sys::HOMEBOY_OP_DELETE => remove::<S>(this, op.path, op.path_size, op.is_directory, result),
        sys::HOMEBOY_OP_ENSURE_DIR => ensure_dir::<S>(this, op.path, op.path_size, result),
        _ => {
            Output { raw: result }.error("unknown operation");
            sys::HOMEBOY_ERR_UNSUPPORTED
        }
    }
}

/// Version 1: both arrays at the frozen version-1 strides, whatever these structs' sizes.
unsafe extern "C" fn batch_v1<S: Storage>(this: *mut sys::homeboy_storage, ops: *const sys::homeboy_op, count: usize,
                                          results: *mut sys::homeboy_result, statuses: *mut sys::homeboy_status)
                                          -> sys::homeboy_status {
    for i in 0..count {
        let op = &*((ops as *const u8).add(i * sys::HOMEBOY_OP_V1_SIZE) as *const sys::homeboy_op);
        let result = (results as *mut u8).add(i * sys::HOMEBOY_RESULT_V1_SIZE) as *mut sys::homeboy_result;
        *statuses.add(i) = run_one::<S>(this, op, false, result);
    }
    sys::HOMEBOY_OK
}

/// Version 2: arrays of pointers, each table with its own struct_size.
unsafe extern "C" fn batch_v2<S: Storage>(this: *mut sys::homeboy_storage, ops: *const *const sys::homeboy_op,
                                          results: *const *mut sys::homeboy_result,
                                          statuses: *mut sys::homeboy_status, count: usize) -> sys::homeboy_status {
    for i in 0..count {
        let op = &**ops.add(i);
        let has_condition = op.struct_size as usize >= sys::HOMEBOY_OP_V1_SIZE + std::mem::size_of::<usize>();
        *statuses.add(i) = run_one::<S>(this, op, has_condition, *results.add(i));
    }
    sys::HOMEBOY_OK
}
