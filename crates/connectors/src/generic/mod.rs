//! The generic JSON event of DESIGN.md, for sources Palabre has no connector for.

mod parse;

pub use parse::parse_into;
