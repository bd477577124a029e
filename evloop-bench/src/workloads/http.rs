//! The runtime-independent half of http_hello: request parsing and response
//! writing for one keep-alive HTTP/1.1 connection, and driving `wrk`.
//!
//! The socket loop itself is in `shape_net!`, identical for every runtime:
//! read into [`Conn::spare`], hand the count to [`Conn::filled`], write
//! [`Conn::output`] back.

use std::io;
use std::process::Command;

/// The response to every request.
const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// Largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// Headers parsed per request.
const MAX_HEADERS: usize = 32;

/// Parser and output buffer of one connection.
#[derive(Debug)]
pub(crate) struct Conn {
    buf: Box<[u8]>,
    filled: usize,
    out: Vec<u8>,
}

/// What one read produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// Complete requests answered (responses appended to the output).
    pub(crate) requests: u64,
    /// The client asked to close after these responses.
    pub(crate) close: bool,
}

impl Conn {
    pub(crate) fn new() -> Conn {
        Conn {
            buf: vec![0; MAX_HEAD].into_boxed_slice(),
            filled: 0,
            out: Vec::with_capacity(1024),
        }
    }

    /// Where the next read goes.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// Accounts for `n` bytes read into [`spare`](Self::spare), answers every
    /// complete request and keeps the partial one.
    pub(crate) fn filled(&mut self, n: usize) -> io::Result<Step> {
        self.filled += n;
        let mut start = 0;
        let mut step = Step {
            requests: 0,
            close: false,
        };
        while start < self.filled {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&self.buf[start..self.filled]) {
                Ok(httparse::Status::Complete(len)) => {
                    for h in req.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length")
                            && h.value.iter().any(|&b| b != b'0')
                        {
                            return Err(invalid("request bodies are not supported"));
                        }
                        if h.name.eq_ignore_ascii_case("connection")
                            && h.value.eq_ignore_ascii_case(b"close")
                        {
                            step.close = true;
                        }
                    }
                    self.out.extend_from_slice(RESPONSE);
                    step.requests += 1;
                    start += len;
                    if step.close {
                        break;
                    }
                }
                Ok(httparse::Status::Partial) => break,
                Err(e) => return Err(invalid(&e.to_string())),
            }
        }
        self.buf.copy_within(start..self.filled, 0);
        self.filled -= start;
        if self.filled == self.buf.len() {
            return Err(invalid("request head too large"));
        }
        Ok(step)
    }

    /// Responses to write.
    pub(crate) fn output(&self) -> &[u8] {
        &self.out
    }

    pub(crate) fn clear_output(&mut self) {
        self.out.clear();
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// The figures taken from `wrk --latency`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WrkReport {
    pub(crate) requests: u64,
    pub(crate) requests_per_sec: f64,
    pub(crate) p99_ms: f64,
}

/// Loads `127.0.0.1:port` with `wrk -t2 -c64 -dSECSs --latency` and checks
/// that every response was a 2xx and no socket error happened.
pub(crate) fn run_wrk(port: u16, secs: u32) -> WrkReport {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{secs}s"), "--latency"])
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .expect("http_hello: cannot run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {}\n{text}", out.status);
    parse_wrk(&text).unwrap_or_else(|e| panic!("http_hello: {e}\n{text}"))
}

/// Reads requests/s, the p99 latency and the request count from wrk's
/// output; an error if wrk saw errors or non-2xx answers.
pub(crate) fn parse_wrk(text: &str) -> Result<WrkReport, String> {
    let mut requests = None;
    let mut rps = None;
    let mut p99 = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("Socket errors:") || line.starts_with("Non-2xx or 3xx responses:") {
            return Err(format!("wrk reported: {line}"));
        }
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            rps = rest.trim().parse::<f64>().ok();
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = parse_duration_ms(rest.trim());
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = count.trim().parse::<u64>().ok();
        }
    }
    Ok(WrkReport {
        requests: requests.ok_or("no request count in wrk output")?,
        requests_per_sec: rps.ok_or("no Requests/sec in wrk output")?,
        p99_ms: p99.ok_or("no 99% latency in wrk output (was --latency given?)")?,
    })
}

/// `"3.21ms"`, `"812.00us"`, `"1.02s"`, `"1.50m"` → milliseconds.
fn parse_duration_ms(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let scale = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return None,
    };
    Some(v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 5s test @ http://127.0.0.1:40000/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   610.28us  300.10us   9.87ms   90.12%
    Req/Sec    52.10k     3.01k   58.00k    70.00%
  Latency Distribution
     50%  560.00us
     75%  700.00us
     90%  850.00us
     99%    1.71ms
  518290 requests in 5.00s, 44.98MB read
Requests/sec: 103641.87
Transfer/sec:      8.99MB
";

    #[test]
    fn parses_wrk_latency_output() {
        let r = parse_wrk(WRK).unwrap();
        assert_eq!(r.requests, 518_290);
        assert!((r.requests_per_sec - 103_641.87).abs() < 1e-6);
        assert!((r.p99_ms - 1.71).abs() < 1e-9);
    }

    #[test]
    fn wrk_errors_fail_the_run() {
        let bad = WRK.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 12\nRequests/sec",
        );
        assert!(parse_wrk(&bad).is_err());
        assert!(parse_wrk("Requests/sec: 1.0").is_err());
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration_ms("250.00us"), Some(0.25));
        assert_eq!(parse_duration_ms("2.00s"), Some(2000.0));
        assert_eq!(parse_duration_ms("1.5m"), Some(90_000.0));
        assert_eq!(parse_duration_ms("7ns"), None);
    }

    fn feed(conn: &mut Conn, bytes: &[u8]) -> io::Result<Step> {
        conn.spare()[..bytes.len()].copy_from_slice(bytes);
        conn.filled(bytes.len())
    }

    #[test]
    fn answers_pipelined_and_split_requests() {
        let mut conn = Conn::new();
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut two = req.to_vec();
        two.extend_from_slice(&req[..10]);
        let step = feed(&mut conn, &two).unwrap();
        assert_eq!(step.requests, 1);
        let step = feed(&mut conn, &req[10..]).unwrap();
        assert_eq!(step.requests, 1);
        assert_eq!(conn.output(), [RESPONSE, RESPONSE].concat());
        conn.clear_output();
        let step = feed(&mut conn, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        assert_eq!(
            step,
            Step {
                requests: 1,
                close: true
            }
        );
    }

    #[test]
    fn rejects_garbage_and_bodies() {
        let mut conn = Conn::new();
        assert!(feed(&mut conn, b"\x01\x02 nonsense\r\n\r\n").is_err());
        let mut conn = Conn::new();
        assert!(feed(
            &mut conn,
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        )
        .is_err());
    }
}
