//! Card benchmark (being written): APDU round trips through pcscd + vpcd, and the in-process card core.

fn main() {}
