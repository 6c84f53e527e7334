//! `necid-test-proxy [--auth user:password]`: the forward proxy of `necid_e2e::proxy` as a
//! program, for the binding suites' proxy tests. Prints `READY http://127.0.0.1:PORT`, then
//! one `SEEN <first request line>` per accepted connection (flushed at once), and exits
//! when its stdin closes (so it never outlives the test that started it).

use std::io::{Read as _, Write as _};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut auth = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--auth" => auth = args.next(),
            other => {
                eprintln!("necid-test-proxy: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("necid-test-proxy: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("necid-test-proxy: {e}");
            std::process::exit(1);
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let expected = auth.map(|a| necid_e2e::proxy::basic_auth_value(&a));
    tokio::spawn(necid_e2e::proxy::serve(
        listener,
        necid_e2e::proxy::Seen::default(),
        expected,
        Some(tx),
    ));
    let mut out = std::io::stdout();
    let _ = writeln!(out, "READY http://{addr}");
    let _ = out.flush();
    // Stdin closed (the test ended, however it ended): exit. A plain thread, so the tokio
    // build needs no extra feature (the suites share the workspace's tokio build).
    std::thread::spawn(|| {
        let mut buf = [0u8; 256];
        while matches!(std::io::stdin().read(&mut buf), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    while let Some(line) = rx.recv().await {
        let _ = writeln!(out, "SEEN {line}");
        let _ = out.flush();
    }
}
