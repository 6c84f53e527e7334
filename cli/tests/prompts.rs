//! `necid configure` on a terminal: prompts for each value (secrets without echo), and the
//! profile it writes works. Driven through a real pseudo-terminal that is the child's
//! controlling terminal, answering each prompt only once it has appeared.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::FromRawFd as _;
use std::os::unix::process::CommandExt as _;
use std::sync::mpsc;
use std::time::Duration;

use common::{Emulator, bare_cmd, run};

struct Pty {
    master: File,
    seen: String,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl Pty {
    /// Wait (generously; this is not a speed check) until `text` has been shown.
    fn expect(&mut self, text: &str) {
        while !self.seen.contains(text) {
            match self.rx.recv_timeout(Duration::from_secs(120)) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => panic!("never saw {text:?}; the terminal showed {:?}", self.seen),
            }
        }
    }

    /// Wait until the program has switched echo off (it reads a secret next), so the
    /// test never types a secret into a terminal that would still echo it.
    fn wait_echo_off(&self) {
        use std::os::fd::AsRawFd as _;
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            // SAFETY: tcgetattr on an open pty master fd into a zeroed termios.
            let mut t: libc::termios = unsafe { std::mem::zeroed() };
            let rc = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut t) };
            assert_eq!(rc, 0, "tcgetattr: {}", std::io::Error::last_os_error());
            if t.c_lflag & libc::ECHO == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "echo never switched off; terminal: {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn type_line(&mut self, line: &str) {
        self.master.write_all(line.as_bytes()).unwrap();
        self.master.write_all(b"\r").unwrap();
        self.master.flush().unwrap();
    }
}

#[test]
fn configure_prompts_on_a_terminal() {
    let emu = Emulator::start();
    let (mut master_fd, mut slave_fd) = (0, 0);
    // SAFETY: plain openpty with out-pointers to two ints; no name/termios/winsize.
    let rc = unsafe {
        libc::openpty(
            &mut master_fd,
            &mut slave_fd,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just returned by openpty and are owned here.
    let (master, slave) = unsafe { (File::from_raw_fd(master_fd), File::from_raw_fd(slave_fd)) };

    let mut cmd = bare_cmd(&emu.home());
    cmd.args(["configure", "--profile", "typed"])
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
    // controlling terminal is the pty (so rpassword can open /dev/tty).
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // close the parent's copies of the slave end

    let (tx, rx) = mpsc::channel();
    let mut reader = master.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // EIO once the child has gone: the reader just stops.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut pty = Pty {
        master,
        seen: String::new(),
        rx,
    };

    let secret = emu.field("secretAccessKey");
    let api_key = emu.field("apiKey");
    pty.expect("Endpoint [none]: ");
    pty.type_line(&emu.endpoint());
    pty.expect("Tenant endpoint [none]: ");
    pty.type_line(&emu.field("tenantEndpoint"));
    pty.expect("Region [none]: ");
    pty.type_line("");
    pty.expect("Access key id [none]: ");
    pty.type_line(&emu.field("accessKeyId"));
    pty.expect("Secret access key [none]: ");
    pty.wait_echo_off();
    pty.type_line(&secret);
    pty.expect("Session token [none]: ");
    pty.wait_echo_off();
    pty.type_line("");
    pty.expect("API key [none]: ");
    pty.wait_echo_off();
    pty.type_line(&api_key);
    pty.expect("wrote profile [typed]");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}; terminal: {:?}", pty.seen);
    assert!(
        !pty.seen.contains(&secret) && !pty.seen.contains(&api_key),
        "secrets are typed without echo: {:?}",
        pty.seen
    );

    let config = emu.home().join(".necid/config");
    let text = std::fs::read_to_string(&config).unwrap();
    let profiles = necid::config::parse_profiles(&text).unwrap();
    let typed = &profiles["typed"];
    assert_eq!(typed["endpoint"], emu.endpoint());
    assert_eq!(typed["secret_access_key"], secret);
    assert_eq!(typed["api_key"], api_key);
    assert!(!typed.contains_key("region") && !typed.contains_key("session_token"));
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut c = bare_cmd(&emu.home());
    c.args(["--profile", "typed", "tags", "list"]);
    run(c).ok();
}
