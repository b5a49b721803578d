//! How the binary talks to a terminal beyond printing what the library
//! hands it: the line editor of an interactive [`session`], and an HTTP
//! response streamed as curl would show it ([`http`]).

pub(crate) mod http;
pub(crate) mod session;
