//! The C ABI of `homeboy/storage_plugin.h`, table for table, member for member.
//!
//! Every struct is `#[repr(C)]` in the header's order; `tests/layout.rs` compiles the header
//! with the C compiler and checks every offset and size here against it, so these can never
//! drift from it unseen. Members added by a version carry its number, as in the header.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

/// The highest ABI version the header describes.
pub const HOMEBOY_STORAGE_ABI_VERSION: u32 = 3;
pub const HOMEBOY_STORAGE_ENTRY_SYMBOL: &str = "homeboy_storage_plugin_entry";

pub type homeboy_status = i32;
pub const HOMEBOY_OK: homeboy_status = 0;
pub const HOMEBOY_ERR_NOT_FOUND: homeboy_status = 1;
pub const HOMEBOY_ERR_PERMISSION_DENIED: homeboy_status = 2;
pub const HOMEBOY_ERR_INVALID_ARGUMENT: homeboy_status = 3;
pub const HOMEBOY_ERR_UNSUPPORTED: homeboy_status = 4;
pub const HOMEBOY_ERR_CONFLICT: homeboy_status = 5;
pub const HOMEBOY_ERR_IO: homeboy_status = 6;
/// Version 2.
pub const HOMEBOY_ERR_UNAVAILABLE: homeboy_status = 7;
/// Version 2.
pub const HOMEBOY_ERR_ABORTED: homeboy_status = 8;
/// Version 3: returned only by a plugin that negotiated version 3 or later.
pub const HOMEBOY_ERR_TOO_LARGE: homeboy_status = 9;

pub type homeboy_operation = i32;
pub const HOMEBOY_OP_READ: homeboy_operation = 1;
pub const HOMEBOY_OP_WRITE: homeboy_operation = 2;
pub const HOMEBOY_OP_LIST: homeboy_operation = 3;
pub const HOMEBOY_OP_DELETE: homeboy_operation = 4;
pub const HOMEBOY_OP_ENSURE_DIR: homeboy_operation = 5;
/// Sent only to a plugin declaring `HOMEBOY_CAP_TRANSACTIONS`.
pub const HOMEBOY_OP_CHECK: homeboy_operation = 6;

pub const HOMEBOY_CONTENT_LIMIT: usize = 256 << 20;

pub const HOMEBOY_IF_VERSION: u32 = 1;
pub const HOMEBOY_IF_ABSENT: u32 = 2;

pub const HOMEBOY_CAP_BATCH: u32 = 0x1;
pub const HOMEBOY_CAP_BATCH_ATOMIC: u32 = 0x2;
/// Version 2.
pub const HOMEBOY_CAP_VERSIONS: u32 = 0x4;
pub const HOMEBOY_CAP_TRANSACTIONS: u32 = 0x8;

/// Where an operation's results go. Host-owned, valid for the call it is passed to.
#[repr(C)]
pub struct homeboy_result {
    pub struct_size: u32,
    pub host_data: *mut c_void,
    pub set_data: Option<unsafe extern "C" fn(result: *mut homeboy_result, bytes: *const c_char, size: usize)>,
    pub add_entry: Option<
        unsafe extern "C" fn(result: *mut homeboy_result, path: *const c_char, path_size: usize, is_directory: i32),
    >,
    pub set_error: Option<unsafe extern "C" fn(result: *mut homeboy_result, message: *const c_char, message_size: usize)>,
    pub data_buffer: Option<unsafe extern "C" fn(result: *mut homeboy_result, size: usize) -> *mut c_char>,
    /// Version 2.
    pub set_version: Option<unsafe extern "C" fn(result: *mut homeboy_result, version: *const c_char, size: usize)>,
}

/// A condition on a write, delete or check. Host-owned, valid for the call.
#[repr(C)]
pub struct homeboy_condition {
    pub struct_size: u32,
    pub kind: u32,
    pub version: *const c_char,
    pub version_size: usize,
}

/// One operation of a batch. Host-owned, valid for the batch call.
#[repr(C)]
pub struct homeboy_op {
    pub struct_size: u32,
    pub operation: homeboy_operation,
    pub path: *const c_char,
    pub path_size: usize,
    pub content: *const c_char,
    pub content_size: usize,
    pub is_directory: i32,
    /// Version 2.
    pub condition: *const homeboy_condition,
}

/// A plugin's instance: opaque, defined by the plugin.
#[repr(C)]
pub struct homeboy_storage {
    _private: [u8; 0],
}

/// The operations of an instance. Plugin-owned; valid until `destroy` returns.
#[repr(C)]
pub struct homeboy_storage_vtable {
    pub struct_size: u32,
    pub capabilities: u32,
    pub read: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize,
                             result: *mut homeboy_result) -> homeboy_status,
    >,
    pub write: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize,
                             content: *const c_char, content_size: usize, result: *mut homeboy_result)
                             -> homeboy_status,
    >,
    pub list: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize,
                             result: *mut homeboy_result) -> homeboy_status,
    >,
    pub remove: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize, is_directory: i32,
                             result: *mut homeboy_result) -> homeboy_status,
    >,
    pub ensure_dir: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize,
                             result: *mut homeboy_result) -> homeboy_status,
    >,
    /// Version 1 batch: arrays at the frozen version-1 strides.
    pub batch: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, ops: *const homeboy_op, count: usize,
                             results: *mut homeboy_result, statuses: *mut homeboy_status) -> homeboy_status,
    >,
    pub destroy: Option<unsafe extern "C" fn(this: *mut homeboy_storage)>,
    /// Version 2.
    pub write_if: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize,
                             content: *const c_char, content_size: usize, condition: *const homeboy_condition,
                             result: *mut homeboy_result) -> homeboy_status,
    >,
    /// Version 2.
    pub remove_if: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, path: *const c_char, path_size: usize, is_directory: i32,
                             condition: *const homeboy_condition, result: *mut homeboy_result) -> homeboy_status,
    >,
    /// Version 2: arrays of pointers.
    pub batch_v2: Option<
        unsafe extern "C" fn(this: *mut homeboy_storage, ops: *const *const homeboy_op,
                             results: *const *mut homeboy_result, statuses: *mut homeboy_status, count: usize)
                             -> homeboy_status,
    >,
}

/// What the host tells a plugin at creation. Host-owned, valid for the call to `create`.
#[repr(C)]
pub struct homeboy_create_info {
    pub struct_size: u32,
    pub abi_version: u32,
    pub config_json: *const c_char,
    pub config_json_size: usize,
    pub config_dir: *const c_char,
    pub module_dir: *const c_char,
    pub config_get: Option<unsafe extern "C" fn(info: *const homeboy_create_info, key: *const c_char) -> *const c_char>,
    pub host_data: *mut c_void,
}

/// The exported entry point. Plugin-owned, static.
#[repr(C)]
pub struct homeboy_plugin_entry {
    pub struct_size: u32,
    pub name: *const c_char,
    pub negotiate: Option<unsafe extern "C" fn(host_max_version: u32, chosen: *mut u32) -> homeboy_status>,
    pub create: Option<
        unsafe extern "C" fn(info: *const homeboy_create_info, instance: *mut *mut homeboy_storage,
                             vtable: *mut *const homeboy_storage_vtable, error: *mut homeboy_result)
                             -> homeboy_status,
    >,
}

/// The frozen version-1 sizes: the offset of each table's first version-2 member (or its
/// version-1 end), which a version-1 batch's arrays are laid out by.
pub const HOMEBOY_RESULT_V1_SIZE: usize = 48;
pub const HOMEBOY_OP_V1_SIZE: usize = 48;
pub const HOMEBOY_VTABLE_V1_SIZE: usize = 64;
pub const HOMEBOY_CREATE_INFO_V1_SIZE: usize = 56;
pub const HOMEBOY_ENTRY_V1_SIZE: usize = 32;
