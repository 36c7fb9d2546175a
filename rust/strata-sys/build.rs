//! Finds libstrata and tells rustc how to link it, with no dependency:
//! `pkg-config` is run as a program (no pkg-config crate).
//!
//! - `STRATA_LIB_DIR=DIR`: link the libstrata in DIR (an uninstalled build
//!   directory, say) instead of asking pkg-config.
//! - `STRATA_STATIC=1`: link libstrata.a (and its dependencies) instead of
//!   libstrata.so.
//! - `PKG_CONFIG`: the pkg-config program (default `pkg-config`);
//!   `PKG_CONFIG_PATH` as usual for a strata installed under a prefix.
use std::env;
use std::process::Command;

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let out = Command::new(&program)
        .args(args)
        .arg("strata")
        .output()
        .map_err(|e| format!("cannot run {}: {}", program, e))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    for var in ["STRATA_LIB_DIR", "STRATA_STATIC", "PKG_CONFIG", "PKG_CONFIG_PATH"] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    let is_static = env::var("STRATA_STATIC").map_or(false, |v| v == "1");
    let lib_dir = match env::var("STRATA_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => dir,
        _ => match pkg_config(&["--variable=libdir"]) {
            Ok(dir) => dir,
            Err(e) => panic!(
                "strata-sys: pkg-config does not find strata ({}); install strata, \
                 set PKG_CONFIG_PATH to its lib/pkgconfig, or set STRATA_LIB_DIR \
                 to a directory holding libstrata",
                e
            ),
        },
    };
    println!("cargo:rustc-link-search=native={}", lib_dir);
    // Dependents read it as DEP_STRATA_LIB_DIR.
    println!("cargo:lib_dir={}", lib_dir);
    if is_static {
        println!("cargo:rustc-link-lib=static=strata");
        println!("cargo:rustc-link-lib=dylib=pthread");
    } else {
        println!("cargo:rustc-link-lib=dylib=strata");
    }
}
