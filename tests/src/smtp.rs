//! A real SMTP server for the tests: `tests/smtp/sink.py` (aiosmtpd), started once per test
//! process and stopped with it. Every test app sends its email there over SMTP (lettre), and
//! [`TestApp::mail_to`](crate::TestApp::mail_to) reads what arrived.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The running SMTP server.
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it writes the messages it accepts (one JSON file each).
    pub dir: PathBuf,
    _child: Mutex<Child>,
}

static SINK: OnceLock<SmtpSink> = OnceLock::new();

/// The SMTP server of this test process (started on first use; aiosmtpd is installed with pip
/// if it is missing).
pub fn sink() -> &'static SmtpSink {
    SINK.get_or_init(start)
}

fn python() -> String {
    std::env::var("CANOPY_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn start() -> SmtpSink {
    let has = |py: &str| {
        Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let py = python();
    if !has(&py) {
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "aiosmtpd==1.4.6"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && has(&py),
            "the tests need aiosmtpd (a real SMTP server): `{py} -m pip install aiosmtpd==1.4.6`"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("canopy-smtp-{}-{port}", std::process::id()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("smtp/sink.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(port.to_string())
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the SMTP server");
    let stdout = child.stdout.take().expect("its stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the SMTP server starts");
    assert_eq!(line.trim(), "READY", "the SMTP server did not start");
    SmtpSink {
        port,
        dir,
        _child: Mutex::new(child),
    }
}

/// A message the SMTP server accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as received (headers and body).
    pub data: String,
}

impl Mail {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim())
    }

    /// The body (after the headers).
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .or_else(|| self.data.split_once("\n\n"))
            .map_or("", |(_, b)| b)
    }
}

impl SmtpSink {
    /// Every message to `address` so far, oldest first.
    pub fn messages_to(&self, address: &str) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .map(|v| Mail {
                from: v["from"].as_str().unwrap_or_default().to_owned(),
                to: v["to"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
                data: v["data"].as_str().unwrap_or_default().to_owned(),
            })
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }
}
