//! Tells cargo when the web front end means rebuilding yunguan. Release builds embed
//! `web/dist/` at compile time (rust-embed), so a new front-end build must rebuild them; debug
//! builds read the folder at run time and never need to.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some() {
        return;
    }
    // Cargo watches a directory's whole tree. A path that does not exist would rerun this at
    // every build, so until the front end is built, watch `web`, where `dist` will appear.
    if Path::new("web/dist").exists() {
        println!("cargo:rerun-if-changed=web/dist");
    } else {
        println!("cargo:rerun-if-changed=web");
    }
}
