//! Subscriptions to remote TAXII 2.1 collections: where to pull from, how to
//! sign in, how often, and which local collection receives the objects.

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Largest secret (password or token) a subscription keeps.
pub const MAX_SECRET_BYTES: usize = 4096;
/// Most minutes between scheduled pulls: a week.
pub const MAX_PULL_MINUTES: i64 = 7 * 24 * 60;
/// Fewest minutes between scheduled pulls: kinder to the remote server.
pub const MIN_PULL_MINUTES: i64 = 5;

/// How Rampart signs in to the remote server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeedAuth {
    /// A public collection.
    None,
    /// HTTP Basic: a user name and its password (or API token).
    Basic { username: String, password: String },
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
}

impl FeedAuth {
    pub fn kind(&self) -> &'static str {
        match self {
            FeedAuth::None => "none",
            FeedAuth::Basic { .. } => "basic",
            FeedAuth::Bearer { .. } => "bearer",
        }
    }

    /// The user name, for Basic.
    pub fn username(&self) -> Option<&str> {
        match self {
            FeedAuth::Basic { username, .. } => Some(username),
            _ => None,
        }
    }

    /// The part to keep sealed: the password or the token.
    pub fn secret(&self) -> Option<&str> {
        match self {
            FeedAuth::None => None,
            FeedAuth::Basic { password, .. } => Some(password),
            FeedAuth::Bearer { token } => Some(token),
        }
    }

    /// Rebuilds the sign-in from its stored parts.
    pub fn from_parts(kind: &str, username: Option<String>, secret: Option<String>) -> FeedAuth {
        match (kind, secret) {
            ("basic", Some(password)) => FeedAuth::Basic { username: username.unwrap_or_default(), password },
            ("bearer", Some(token)) => FeedAuth::Bearer { token },
            _ => FeedAuth::None,
        }
    }
}

/// A subscription as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewSubscription {
    pub title: String,
    /// The remote API root, such as `https://cti.example/api1/`.
    pub api_root: String,
    /// The remote collection's id.
    pub remote_collection: String,
    /// The local collection the objects go to (the organisation's own or one
    /// it keeps for a community).
    pub collection: String,
    pub auth: FeedAuth,
    /// Minutes between scheduled pulls; 0 pulls only when asked.
    #[serde(default)]
    pub pull_every_minutes: i64,
}

impl NewSubscription {
    pub fn check(mut self) -> Result<NewSubscription, Invalid> {
        self.title = crate::validate::name("title", &self.title)?;
        let mut root = crate::validate::http_url("api_root", &self.api_root, "the remote API root's")?;
        if root.contains(['?', '#']) {
            return Err(Invalid::new("api_root", "must be the API root itself, without a query or fragment"));
        }
        if !root.ends_with('/') {
            root.push('/');
        }
        self.api_root = root;
        let remote = self.remote_collection.trim();
        if remote.is_empty()
            || remote.len() > 200
            || remote.contains(['/', '?', '#', '%'])
            || remote.contains(char::is_whitespace)
        {
            return Err(Invalid::new(
                "remote_collection",
                "must be the remote collection's id (1–200 characters, no / ? # % or spaces)",
            ));
        }
        self.remote_collection = remote.to_string();
        if self.collection.trim().is_empty() {
            return Err(Invalid::new("collection", "choose the local collection the objects go to"));
        }
        self.auth = match self.auth {
            FeedAuth::None => FeedAuth::None,
            FeedAuth::Basic { username, password } => {
                let username = username.trim().to_string();
                if username.is_empty() || username.len() > 320 || username.contains(':') {
                    return Err(Invalid::new("auth.username", "give the user name (at most 320 characters, no colon)"));
                }
                FeedAuth::Basic { username, password: secret("auth.password", password)? }
            }
            FeedAuth::Bearer { token } => FeedAuth::Bearer { token: secret("auth.token", token)? },
        };
        let every = self.pull_every_minutes;
        if every != 0 && !(MIN_PULL_MINUTES..=MAX_PULL_MINUTES).contains(&every) {
            return Err(Invalid::new(
                "pull_every_minutes",
                format!("must be 0 (only when asked) or {MIN_PULL_MINUTES} to {MAX_PULL_MINUTES} minutes"),
            ));
        }
        Ok(self)
    }

    /// Where the remote collection's objects are.
    pub fn objects_url(&self) -> String {
        objects_url(&self.api_root, &self.remote_collection)
    }
}

/// `{api_root}collections/{id}/objects/`.
pub fn objects_url(api_root: &str, remote_collection: &str) -> String {
    format!("{api_root}collections/{remote_collection}/objects/")
}

fn secret(field: &str, raw: String) -> Result<String, Invalid> {
    if raw.is_empty() || raw.len() > MAX_SECRET_BYTES || raw.contains(['\r', '\n']) {
        return Err(Invalid::new(field, format!("must be 1 to {MAX_SECRET_BYTES} bytes on one line")));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewSubscription {
        NewSubscription {
            title: " ISAC feed ".into(),
            api_root: "https://cti.example/api1".into(),
            remote_collection: " 91a7b528-80eb-42ed-a74d-c6fbd5a26116 ".into(),
            collection: "local".into(),
            auth: FeedAuth::Basic { username: "rampart".into(), password: "s3cret".into() },
            pull_every_minutes: 60,
        }
    }

    #[test]
    fn a_subscription_is_trimmed_and_its_root_ends_with_a_slash() {
        let s = new().check().unwrap();
        assert_eq!(s.title, "ISAC feed");
        assert_eq!(
            s.objects_url(),
            "https://cti.example/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/"
        );
    }

    #[test]
    fn bad_subscriptions_name_the_field() {
        let cases: Vec<(NewSubscription, &str)> = vec![
            (NewSubscription { api_root: "ftp://x/".into(), ..new() }, "api_root"),
            (NewSubscription { api_root: "https://x/api1/?a=b".into(), ..new() }, "api_root"),
            (NewSubscription { remote_collection: "a/b".into(), ..new() }, "remote_collection"),
            (NewSubscription { remote_collection: " ".into(), ..new() }, "remote_collection"),
            (NewSubscription { collection: "".into(), ..new() }, "collection"),
            (
                NewSubscription { auth: FeedAuth::Basic { username: "a:b".into(), password: "x".into() }, ..new() },
                "auth.username",
            ),
            (
                NewSubscription { auth: FeedAuth::Basic { username: "a".into(), password: "".into() }, ..new() },
                "auth.password",
            ),
            (NewSubscription { auth: FeedAuth::Bearer { token: "a\nb".into() }, ..new() }, "auth.token"),
            (NewSubscription { pull_every_minutes: 1, ..new() }, "pull_every_minutes"),
            (NewSubscription { pull_every_minutes: MAX_PULL_MINUTES + 1, ..new() }, "pull_every_minutes"),
        ];
        for (bad, field) in cases {
            assert_eq!(bad.clone().check().unwrap_err().field, field, "{bad:?}");
        }
        assert!(NewSubscription { pull_every_minutes: 0, ..new() }.check().is_ok());
    }

    #[test]
    fn the_secret_is_the_password_or_the_token() {
        let basic = FeedAuth::Basic { username: "u".into(), password: "p".into() };
        assert_eq!((basic.kind(), basic.username(), basic.secret()), ("basic", Some("u"), Some("p")));
        assert_eq!(FeedAuth::from_parts("basic", Some("u".into()), Some("p".into())), basic);
        assert_eq!(FeedAuth::from_parts("bearer", None, Some("t".into())), FeedAuth::Bearer { token: "t".into() });
        assert_eq!(FeedAuth::from_parts("none", None, None), FeedAuth::None);
    }
}
