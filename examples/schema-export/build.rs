//! Writes the JSON Schema of every event of `shop-events`, and an index, to
//! `OUT_DIR/schemas` on every build, and its event catalog (Markdown pages,
//! Mermaid diagrams and an AsyncAPI document) to `OUT_DIR/catalog`.

use std::path::PathBuf;

fn main() {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        println!("cargo::error=OUT_DIR is not set; run this through cargo");
        return;
    };
    let dir = PathBuf::from(&out_dir).join("schemas");
    // Naming the events links them into this build script's registry.
    let declared = shop_events::events();
    match event_core::registry::export(&dir) {
        Ok(exported) if exported.files.len() == declared.len() => {}
        Ok(exported) => println!(
            "cargo::error=exported {} schemas, but shop-events declares {}",
            exported.files.len(),
            declared.len()
        ),
        Err(error) => println!("cargo::error=could not export the schemas: {error}"),
    }
    let catalog = event_core::catalog::Catalog::from_registry().version(env!("CARGO_PKG_VERSION"));
    let dir = PathBuf::from(out_dir).join("catalog");
    for format in [
        event_core::catalog::Format::Markdown,
        event_core::catalog::Format::Mermaid,
        event_core::catalog::Format::AsyncApi,
    ] {
        if let Err(error) = catalog.write(format, &dir) {
            println!("cargo::error=could not write the {format} catalog: {error}");
        }
    }
}
