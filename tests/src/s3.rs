//! A real S3-compatible server for the tests: `tests/s3/stand_in.py` (moto's S3), started once
//! per test process and stopped with it, with the bucket `canopy-media`. A test app configured
//! with [`configure`] keeps its media there through `object_store`'s S3 client.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The bucket the stand-in makes.
pub const BUCKET: &str = "canopy-media";

/// The running S3 stand-in.
pub struct S3StandIn {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    _child: Mutex<Child>,
}

static S3: OnceLock<S3StandIn> = OnceLock::new();

/// The S3 stand-in of this test process (started on first use; moto is installed with pip if
/// it is missing).
pub fn stand_in() -> &'static S3StandIn {
    S3.get_or_init(start)
}

/// Points a test configuration's media library at the stand-in's bucket.
pub fn configure(c: &mut kernel::Config) {
    let s3 = stand_in();
    c.media_s3_bucket = Some(BUCKET.into());
    c.media_s3_endpoint = Some(s3.endpoint.clone());
    c.media_s3_region = Some("us-east-1".into());
    c.media_s3_access_key_id = Some("canopy".into());
    c.media_s3_secret_access_key = Some("canopy-secret".into());
}

fn start() -> S3StandIn {
    let py = std::env::var("CANOPY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has = || {
        Command::new(&py)
            .args(["-c", "import moto.server, boto3"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has() {
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "moto[server]==5.1.22"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && has(),
            "the tests need moto (an S3 stand-in): `{py} -m pip install 'moto[server]==5.1.22'`"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("s3/stand_in.py");
    let mut child = Command::new(&py)
        .arg(script)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the S3 stand-in");
    let stdout = child.stdout.take().expect("its stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the S3 stand-in starts");
    assert_eq!(line.trim(), "READY", "the S3 stand-in did not start");
    S3StandIn {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
    }
}
