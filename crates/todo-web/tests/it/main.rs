//! Integration tests of todo-web.
#![allow(missing_docs)]
