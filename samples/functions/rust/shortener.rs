// A small JSON API (an HTTP function): a URL shortener that needs no storage, because the short code *is* the URL
// (base64url). Routing is by method and path:
//
//   POST /links  {"url":"https://..."}  -> 201 Created, Location: <SCRIPT_NAME>/s/<code>, {"code":..,"short":..}
//   GET  /s/<code>                      -> 302 Found, Location: the URL
//   GET  /health                        -> 200 {"ok":true}
//   a known path with another method    -> 405 with Allow
//   anything else                       -> 404
//
// The request comes as CGI variables (REQUEST_METHOD, PATH_INFO, SCRIPT_NAME, CONTENT_TYPE, ...) and the body on stdin;
// the response is CGI headers on stdout, a blank line, then the body.
use std::env;
use std::io::{self, Read, Write};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..chunk.len() + 1 {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let digits: Option<Vec<u32>> = text.bytes().map(|c| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)).collect();
    for chunk in digits?.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// The string value of `"key": "..."` in a flat JSON object (enough for this API's one field; escapes are refused).
fn json_string(body: &str, key: &str) -> Option<String> {
    let at = body.find(&format!("\"{}\"", key))?;
    let rest = body[at + key.len() + 2..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let value = &rest[..end];
    if value.contains('\\') { None } else { Some(value.to_string()) }
}

fn respond(status: &str, headers: &[(&str, String)], json: &str) {
    let mut out = format!("Status: {}\r\nContent-Type: application/json\r\n", status);
    for (name, value) in headers {
        out.push_str(&format!("{}: {}\r\n", name, value));
    }
    out.push_str("\r\n");
    out.push_str(json);
    out.push('\n');
    io::stdout().write_all(out.as_bytes()).unwrap();
}

fn error(status: &str, message: &str) {
    respond(status, &[], &format!("{{\"error\":\"{}\"}}", message));
}

fn main() {
    let method = env::var("REQUEST_METHOD").unwrap_or_default();
    let path = env::var("PATH_INFO").unwrap_or_default();
    let script = env::var("SCRIPT_NAME").unwrap_or_default();

    match (method.as_str(), path.as_str()) {
        ("GET", "/health") | ("HEAD", "/health") => respond("200 OK", &[], "{\"ok\":true}"),
        ("POST", "/links") => {
            let mut body = String::new();
            if io::stdin().read_to_string(&mut body).is_err() {
                return error("400 Bad Request", "the body is not UTF-8");
            }
            match json_string(&body, "url") {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    let code = encode(url.as_bytes());
                    let short = format!("{}/s/{}", script, code);
                    respond("201 Created", &[("Location", short.clone())], &format!("{{\"code\":\"{}\",\"short\":\"{}\"}}", code, short));
                }
                _ => error("400 Bad Request", "send {\\\"url\\\":\\\"https://...\\\"}"),
            }
        }
        (_, "/health") => respond("405 Method Not Allowed", &[("Allow", "GET, HEAD".to_string())], "{\"error\":\"use GET\"}"),
        (_, "/links") => respond("405 Method Not Allowed", &[("Allow", "POST".to_string())], "{\"error\":\"use POST\"}"),
        ("GET", p) | ("HEAD", p) if p.starts_with("/s/") => {
            match decode(&p[3..]).and_then(|bytes| String::from_utf8(bytes).ok()) {
                // A Location and a Status: the gateway answers 302 with it.
                Some(url) if !url.contains('\n') && !url.contains('\r') => {
                    io::stdout().write_all(format!("Status: 302 Found\r\nLocation: {}\r\n\r\n", url).as_bytes()).unwrap();
                }
                _ => error("404 Not Found", "no such link"),
            }
        }
        _ => error("404 Not Found", "no such route: try POST /links, GET /s/<code>, GET /health"),
    }
}
