//! Every document in graphql/operations/ validates against the exported schema, and
//! runs against the real server.

use std::path::Path;

use apollo_compiler::{ExecutableDocument, Schema};

fn operations() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql/operations");
    let mut documents: Vec<_> = std::fs::read_dir(&dir)
        .expect("graphql/operations exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            )
        })
        .collect();
    documents.sort();
    documents
}

#[test]
fn every_operation_document_validates_against_the_schema() {
    let schema = Schema::parse_and_validate(agencyflow_graphql::sdl(), "schema.graphql")
        .unwrap_or_else(|errors| panic!("the SDL itself is invalid: {errors}"));
    let documents = operations();
    assert!(
        documents.len() >= 10,
        "operations are missing: {}",
        documents.len()
    );
    for (name, text) in documents {
        if let Err(errors) = ExecutableDocument::parse_and_validate(&schema, text, &name) {
            panic!("{name} does not validate:\n{errors}");
        }
    }
}
