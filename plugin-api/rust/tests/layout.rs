//! Every table of `sys` against the C header: each member's offset and size, each table's
//! size, the frozen version-1 sizes and every constant, as the C compiler lays them out.
//! A member appended to the header and not here changes a table's size and fails this test.
//!
//! The header is found through HOMEBOY_PLUGIN_API_INCLUDE, else next to this crate: in the
//! source tree (plugin-api/include) or in an install (<prefix>/include, the crate being in
//! <prefix>/share/homeboy/kit/plugin-api/rust). The C compiler is $CC, else `cc`.

use homeboy_storage_plugin::sys::*;
use std::collections::HashMap;
use std::mem::{size_of, MaybeUninit};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Offset and size of `$field` in `$type`, as Rust lays it out.
macro_rules! member {
    ($type:ident, $field:ident) => {{
        let value = MaybeUninit::<$type>::uninit();
        let base = value.as_ptr();
        // SAFETY: only the address is taken; nothing is read.
        let field = unsafe { std::ptr::addr_of!((*base).$field) };
        fn size_of_pointee<T>(_: *const T) -> usize {
            size_of::<T>()
        }
        (concat!(stringify!($type), ".", stringify!($field)), field as usize - base as usize, size_of_pointee(field))
    }};
}

macro_rules! members {
    ($($type:ident { $($field:ident),* $(,)? })*) => {{
        let mut rows: Vec<(String, usize, usize)> = Vec::new();
        let mut c = String::new();
        $(
            rows.push((format!("sizeof {}", stringify!($type)), size_of::<$type>(), 0));
            c.push_str(&format!("  printf(\"sizeof {0} %zu 0\\n\", sizeof({0}));\n", stringify!($type)));
            $(
                let (name, offset, size) = member!($type, $field);
                rows.push((name.to_string(), offset, size));
                c.push_str(&format!(
                    "  printf(\"{0}.{1} %zu %zu\\n\", offsetof({0}, {1}), sizeof(((({0}*)0)->{1})));\n",
                    stringify!($type), stringify!($field)));
            )*
        )*
        (rows, c)
    }};
}

fn include_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HOMEBOY_PLUGIN_API_INCLUDE") {
        return PathBuf::from(dir);
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for candidate in [crate_dir.join("../include"), crate_dir.join("../../../../../include")] {
        if candidate.join("homeboy/storage_plugin.h").is_file() {
            return candidate;
        }
    }
    panic!("homeboy/storage_plugin.h not found near {}; set HOMEBOY_PLUGIN_API_INCLUDE", crate_dir.display());
}

/// Compiles `body` (inside main) against the header, runs it, and returns its lines.
fn c_program_output(body: &str) -> HashMap<String, (usize, usize)> {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&work).unwrap();
    let source = work.join("layout.c");
    let program = work.join("layout");
    std::fs::write(
        &source,
        format!("#include <homeboy/storage_plugin.h>\n#include <stdio.h>\n#include <stddef.h>\nint main(void) {{\n{}  return 0;\n}}\n", body),
    )
    .unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let built = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(include_dir())
        .arg(&source)
        .arg("-o")
        .arg(&program)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {}: {}", cc, e));
    assert!(built.success(), "the C compiler failed on {}", source.display());
    let out = Command::new(&program).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let mut words = line.rsplitn(3, ' ');
            let size = words.next().unwrap().parse().unwrap();
            let offset = words.next().unwrap().parse().unwrap();
            (words.next().unwrap().to_string(), (offset, size))
        })
        .collect()
}

#[test]
fn every_table_matches_the_c_header() {
    let (rows, mut c) = members! {
        homeboy_result { struct_size, host_data, set_data, add_entry, set_error, data_buffer, set_version }
        homeboy_condition { struct_size, kind, version, version_size }
        homeboy_op { struct_size, operation, path, path_size, content, content_size, is_directory, condition }
        homeboy_storage_vtable {
            struct_size, capabilities, read, write, list, remove, ensure_dir, batch, destroy,
            write_if, remove_if, batch_v2,
        }
        homeboy_create_info {
            struct_size, abi_version, config_json, config_json_size, config_dir, module_dir, config_get, host_data,
        }
        homeboy_plugin_entry { struct_size, name, negotiate, create }
    };
    let mut expected = rows;
    // The frozen version-1 sizes and every constant, as "NAME value 0".
    let constants: Vec<(&str, usize)> = vec![
        ("HOMEBOY_RESULT_V1_SIZE", HOMEBOY_RESULT_V1_SIZE),
        ("HOMEBOY_OP_V1_SIZE", HOMEBOY_OP_V1_SIZE),
        ("HOMEBOY_VTABLE_V1_SIZE", HOMEBOY_VTABLE_V1_SIZE),
        ("HOMEBOY_CREATE_INFO_V1_SIZE", HOMEBOY_CREATE_INFO_V1_SIZE),
        ("HOMEBOY_ENTRY_V1_SIZE", HOMEBOY_ENTRY_V1_SIZE),
        ("HOMEBOY_STORAGE_ABI_VERSION", HOMEBOY_STORAGE_ABI_VERSION as usize),
        ("HOMEBOY_OK", HOMEBOY_OK as usize),
        ("HOMEBOY_ERR_NOT_FOUND", HOMEBOY_ERR_NOT_FOUND as usize),
        ("HOMEBOY_ERR_PERMISSION_DENIED", HOMEBOY_ERR_PERMISSION_DENIED as usize),
        ("HOMEBOY_ERR_INVALID_ARGUMENT", HOMEBOY_ERR_INVALID_ARGUMENT as usize),
        ("HOMEBOY_ERR_UNSUPPORTED", HOMEBOY_ERR_UNSUPPORTED as usize),
        ("HOMEBOY_ERR_CONFLICT", HOMEBOY_ERR_CONFLICT as usize),
        ("HOMEBOY_ERR_IO", HOMEBOY_ERR_IO as usize),
        ("HOMEBOY_ERR_UNAVAILABLE", HOMEBOY_ERR_UNAVAILABLE as usize),
        ("HOMEBOY_ERR_ABORTED", HOMEBOY_ERR_ABORTED as usize),
        ("HOMEBOY_ERR_TOO_LARGE", HOMEBOY_ERR_TOO_LARGE as usize),
        ("HOMEBOY_OP_READ", HOMEBOY_OP_READ as usize),
        ("HOMEBOY_OP_WRITE", HOMEBOY_OP_WRITE as usize),
        ("HOMEBOY_OP_LIST", HOMEBOY_OP_LIST as usize),
        ("HOMEBOY_OP_DELETE", HOMEBOY_OP_DELETE as usize),
        ("HOMEBOY_OP_ENSURE_DIR", HOMEBOY_OP_ENSURE_DIR as usize),
        ("HOMEBOY_OP_CHECK", HOMEBOY_OP_CHECK as usize),
        ("HOMEBOY_CONTENT_LIMIT", HOMEBOY_CONTENT_LIMIT),
        ("HOMEBOY_IF_VERSION", HOMEBOY_IF_VERSION as usize),
        ("HOMEBOY_IF_ABSENT", HOMEBOY_IF_ABSENT as usize),
        ("HOMEBOY_CAP_BATCH", HOMEBOY_CAP_BATCH as usize),
        ("HOMEBOY_CAP_BATCH_ATOMIC", HOMEBOY_CAP_BATCH_ATOMIC as usize),
        ("HOMEBOY_CAP_VERSIONS", HOMEBOY_CAP_VERSIONS as usize),
        ("HOMEBOY_CAP_TRANSACTIONS", HOMEBOY_CAP_TRANSACTIONS as usize),
    ];
    for (name, value) in &constants {
        expected.push((name.to_string(), *value, 0));
        c.push_str(&format!("  printf(\"{0} %zu 0\\n\", (size_t)({0}));\n", name));
    }
    let from_c = c_program_output(&c);
    let mut wrong = Vec::new();
    for (name, offset, size) in &expected {
        match from_c.get(name) {
            Some(&(c_offset, c_size)) if c_offset == *offset && c_size == *size => {}
            Some(&(c_offset, c_size)) => wrong.push(format!(
                "{}: Rust has offset/value {} size {}, the C header {} and {}",
                name, offset, size, c_offset, c_size
            )),
            None => wrong.push(format!("{}: not printed by the C program", name)),
        }
    }
    assert!(wrong.is_empty(), "the bindings drifted from storage_plugin.h:\n{}", wrong.join("\n"));
}

#[test]
fn the_entry_symbol_name_matches() {
    let header = std::fs::read_to_string(include_dir().join("homeboy/storage_plugin.h")).unwrap();
    assert!(header.contains(&format!("#define HOMEBOY_STORAGE_ENTRY_SYMBOL \"{}\"", HOMEBOY_STORAGE_ENTRY_SYMBOL)));
}
