//! An SMTP server on loopback that keeps what it receives, for the tests of email delivery.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A received email: recipients and the raw message.
pub type Mail = (Vec<String>, String);

/// An SMTP sink on loopback that keeps each message's recipients and data.
#[derive(Clone, Default)]
pub struct SmtpSink {
    mails: Arc<Mutex<Vec<Mail>>>,
    current: Arc<Mutex<(Vec<String>, Vec<u8>)>>,
}

impl SmtpSink {
    /// Serves on a free loopback port (in a thread of its own); the sink and its address.
    pub fn start() -> (Self, SocketAddr) {
        let sink = Self::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut server = mailin_embedded::Server::new(sink.clone());
        server.with_name("sink.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("SMTP sink stopped: {e}");
            }
        });
        (sink, addr)
    }

    /// The first mail received, if any.
    pub fn first(&self) -> Option<Mail> {
        self.mails.lock().expect("lock").first().cloned()
    }
}

impl mailin_embedded::Handler for SmtpSink {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::response::Response {
        *self.current.lock().expect("lock") = (to.to_vec(), Vec::new());
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().expect("lock").1.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::response::Response {
        let (to, data) = std::mem::take(&mut *self.current.lock().expect("lock"));
        self.mails
            .lock()
            .expect("lock")
            .push((to, String::from_utf8_lossy(&data).to_string()));
        mailin_embedded::response::OK
    }
}
