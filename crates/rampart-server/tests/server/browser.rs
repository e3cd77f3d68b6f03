//! A minimal browser for UI tests without a real one: it keeps the session
//! cookie, reads the CSRF token from pages and posts forms as a same-origin
//! browser would.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::{TestApp, body_text};

pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token embedded in the page's forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.html.find(marker).expect("the page has a form") + marker.len();
        self.html[start..start + 64].to_string()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Page {
        let request = match &self.cookie {
            Some(c) => request.header(header::COOKIE, c.clone()),
            None => request,
        };
        let response = self.app.send(request.body(body).unwrap()).await;
        let status = response.status();
        let header_text =
            |name| response.headers().get(name).map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_string());
        let location = header_text(header::LOCATION);
        let set_cookie = header_text(header::SET_COOKIE);
        if let Some(sc) = &set_cookie {
            let pair = sc.split(';').next().unwrap().to_string();
            self.cookie = if pair.ends_with('=') { None } else { Some(pair) };
        }
        Page { status, location, set_cookie, html: body_text(response).await }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).header("sec-fetch-site", "none"), Body::empty()).await
    }

    /// Posts a form from a page of this site.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(path, fields, "same-origin").await
    }

    pub async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], site: &str) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site);
        self.send(request, Body::from(body)).await
    }

    /// Posts a multipart form from a page of this site, with `file` (its
    /// name, type and content) as the field `file` when given.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Page {
        let boundary = "rampartboundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        if let Some((name, content_type, bytes)) = file {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
                    .bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header("sec-fetch-site", "same-origin");
        self.send(request, Body::from(body)).await
    }

    /// Logs in and returns the page the login redirected to.
    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        let page = self.post("/login", &[("email", email), ("password", password), ("next", "/")]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "login failed: {}", page.html);
        self.get("/").await
    }
}
