//! The `.tflite` importer on small files built in the test: operators imported with the
//! right layout, padding and parameters (checked by running the compiled model against a
//! direct computation from the file's numbers), and bad files with their named errors.

mod bad_input;
mod builder;
mod litert_ops;
mod ops;
mod ops_more;
