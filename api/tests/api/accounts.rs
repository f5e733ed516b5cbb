//! Accounts: registration, sign-in, refresh rotation and reuse detection, sign-out,
//! password changes, throttling, staff management, WebSocket authentication.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;

use stockade_domain::accounts::throttle::{Limits, LoginThrottle, ThrottlePolicy};
use stockade_domain::accounts::{Email, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, TestDb, code};

const REGISTER: &str = "mutation($i: AccountRegisterInput!) { accountRegister(input: $i) {
    accessToken refreshToken accessTokenExpiresAt user { id email name role } userErrors { code field message } } }";
const SIGN_IN: &str = "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) {
    accessToken refreshToken user { email } userErrors { code field message } } }";
const REFRESH: &str = "mutation($t: String!) { tokenRefresh(refreshToken: $t) { accessToken refreshToken user { email } } }";
const ME: &str = "{ me { id email role } }";

async fn raw_as(app: &TestApp, authorization: &str, query: &str) -> (u16, Value) {
    let res =
        app.client.post(app.url("/graphql")).header("authorization", authorization).json(&json!({ "query": query })).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn register_sign_in_refresh_reuse_and_sign_out() {
    let app = TestApp::spawn().await;
    let reg =
        app.gql_ok(REGISTER, json!({ "i": { "email": "  Ada@Example.COM ", "password": "analytical engine 1843", "name": "Ada" } })).await;
    let reg = &reg["accountRegister"];
    assert_eq!(reg["userErrors"], json!([]));
    assert_eq!(reg["user"]["email"], "ada@example.com", "emails are normalised");
    assert_eq!(reg["user"]["role"], "CUSTOMER");

    let me = app.gql_as(reg["accessToken"].as_str().unwrap(), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ada@example.com");

    let signed = app.gql_ok(SIGN_IN, json!({ "e": "ADA@example.com", "p": "analytical engine 1843" })).await["tokenCreate"].clone();
    let first_refresh = signed["refreshToken"].as_str().unwrap().to_owned();

    // Rotation: each refresh token works once and yields a new one.
    let rotated = app.gql_ok(REFRESH, json!({ "t": first_refresh })).await["tokenRefresh"].clone();
    let second_refresh = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    let access = rotated["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.gql_as(&access, ME, json!({})).await["data"]["me"]["email"], "ada@example.com");

    // Reuse of the rotated token revokes the whole session (family).
    let reuse = app.gql_err(REFRESH, json!({ "t": first_refresh })).await;
    assert_eq!(code(&reuse), "UNAUTHENTICATED");
    assert!(reuse["message"].as_str().unwrap().contains("already used"), "{reuse}");
    let stolen_family = app.gql_err(REFRESH, json!({ "t": second_refresh })).await;
    assert_eq!(code(&stolen_family), "UNAUTHENTICATED", "the newest token of the family died too");
    let (status, body) = raw_as(&app, &format!("Bearer {access}"), ME).await;
    assert_eq!(status, 401, "access tokens of a revoked session stop working: {body}");
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");

    // The registration session is independent and still works; sign it out.
    let reg_access = reg["accessToken"].as_str().unwrap();
    let out = app.gql_as(reg_access, "mutation { tokenRevoke { revoked } }", json!({})).await;
    assert_eq!(out["data"]["tokenRevoke"]["revoked"], true);
    let (status, _) = raw_as(&app, &format!("Bearer {reg_access}"), ME).await;
    assert_eq!(status, 401);
    let again = app.gql_ok("mutation($t: String) { tokenRevoke(refreshToken: $t) { revoked } }", json!({ "t": reg["refreshToken"] })).await;
    assert_eq!(again["tokenRevoke"]["revoked"], false, "signing out twice is not an error");
}

#[tokio::test]
async fn bad_registrations_are_typed_and_change_nothing() {
    let app = TestApp::spawn().await;
    let ok =
        app.gql_ok(REGISTER, json!({ "i": { "email": "grace@example.com", "password": "compiler cobol 1959", "name": "Grace" } })).await;
    assert_eq!(ok["accountRegister"]["userErrors"], json!([]));
    let cases = [
        (json!({ "email": "GRACE@example.com", "password": "another long phrase", "name": "G" }), "EMAIL_TAKEN", json!(["input", "email"])),
        (json!({ "email": "not-an-email", "password": "another long phrase", "name": "G" }), "INVALID", json!(["input", "email"])),
        (json!({ "email": "x@example.com", "password": "short", "name": "G" }), "WEAK_PASSWORD", json!(["input", "password"])),
        (json!({ "email": "x@example.com", "password": "password123", "name": "G" }), "WEAK_PASSWORD", json!(["input", "password"])),
        (json!({ "email": "x@example.com", "password": "another long phrase", "name": "   " }), "INVALID", json!(["input", "name"])),
    ];
    for (input, expected, field) in cases {
        let data = app.gql_ok(REGISTER, json!({ "i": input })).await;
        let payload = &data["accountRegister"];
        assert_eq!(payload["accessToken"], Value::Null, "{input}");
        assert_eq!(payload["userErrors"][0]["code"], expected, "{input}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{input}");
    }
    let users = app.services.accounts.list_users(&Default::default(), &stockade_domain::pagination::PageRequest::first(10)).await.unwrap();
    assert_eq!(users.items.len(), 1, "nothing but the first account was created");
}

#[tokio::test]
async fn expired_forged_and_malformed_tokens_are_401_never_500() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Customer).await;
    let forged = {
        let mut parts: Vec<String> = user.access_token.split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        parts.join(".")
    };
    let other_key = stockade_domain::accounts::tokens::JwtKeys::from_secret(b"some-other-secret-some-other-secret");
    let (wrong_key, _) = other_key.issue(user.db_id, "no-session", Role::Admin, std::time::Duration::from_secs(60)).unwrap();
    let expired = {
        let dir = tempfile::tempdir().unwrap();
        let (keys, _) = stockade_domain::accounts::tokens::JwtKeys::load(None, dir.path()).unwrap();
        keys.issue(user.db_id, "x", Role::Customer, std::time::Duration::from_secs(0)).unwrap().0
    };
    for authorization in [
        format!("Bearer {forged}"),
        format!("Bearer {wrong_key}"),
        format!("Bearer {expired}"),
        "Bearer not.a.jwt".to_owned(),
        "Basic dXNlcjpwYXNz".to_owned(),
        user.access_token.clone(),
    ] {
        let (status, body) = raw_as(&app, &authorization, ME).await;
        assert_eq!(status, 401, "{authorization}: {body}");
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{authorization}");
    }
    let (status, _) = raw_as(&app, &format!("Bearer {}", user.access_token), ME).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn password_change_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Customer).await;
    let other = app.gql_ok(SIGN_IN, json!({ "e": user.email, "p": user.password })).await["tokenCreate"]["accessToken"].clone();
    const CHANGE: &str = "mutation($c: String!, $n: String!) { passwordChange(currentPassword: $c, newPassword: $n) { user { email } userErrors { code field } } }";

    let wrong = app.gql_as(&user.access_token, CHANGE, json!({ "c": "not my password", "n": "brand new passphrase" })).await;
    assert_eq!(wrong["data"]["passwordChange"]["userErrors"][0]["field"], json!(["currentPassword"]));
    let weak = app.gql_as(&user.access_token, CHANGE, json!({ "c": user.password, "n": "short" })).await;
    assert_eq!(weak["data"]["passwordChange"]["userErrors"][0]["field"], json!(["newPassword"]));

    let ok = app.gql_as(&user.access_token, CHANGE, json!({ "c": user.password, "n": "brand new passphrase" })).await;
    assert_eq!(ok["data"]["passwordChange"]["userErrors"], json!([]));
    assert_eq!(app.gql_as(&user.access_token, ME, json!({})).await["data"]["me"]["email"], json!(user.email), "this session stays");
    let (status, _) = raw_as(&app, &format!("Bearer {}", other.as_str().unwrap()), ME).await;
    assert_eq!(status, 401, "other sessions are signed out");
    let old = app.gql_ok(SIGN_IN, json!({ "e": user.email, "p": user.password })).await;
    assert_eq!(old["tokenCreate"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
    let new = app.gql_ok(SIGN_IN, json!({ "e": user.email, "p": "brand new passphrase" })).await;
    assert_eq!(new["tokenCreate"]["userErrors"], json!([]));
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_then_refused() {
    let overrides = [("LOGIN_SLOWDOWN_AFTER", "1"), ("LOGIN_LOCKOUT_AFTER", "3"), ("RATE_LIMIT_AUTH_PER_MINUTE", "0")];
    let app = TestApp::spawn_with(TestDb::seeded(), &overrides).await;
    let user = app.user(Role::Customer).await;
    let wrong = json!({ "e": user.email, "p": "wrong password here" });
    for attempt in 1..=3 {
        let data = app.gql_ok(SIGN_IN, wrong.clone()).await;
        assert_eq!(data["tokenCreate"]["userErrors"][0]["code"], "INVALID_CREDENTIALS", "attempt {attempt}");
    }
    // The third failure locked the account: even the right password is refused now.
    let started = std::time::Instant::now();
    let locked = app.gql_ok(SIGN_IN, json!({ "e": user.email, "p": user.password })).await;
    let err = &locked["tokenCreate"]["userErrors"][0];
    assert_eq!(err["code"], "TOO_MANY_ATTEMPTS", "{locked}");
    assert!(err["message"].as_str().unwrap().contains("try again in"), "{err}");
    // A lockout is refused before any delay: a generous bound (the longest delay is 2 s).
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "a lockout answers without the slowdown");

    // Unknown accounts fail the same way (no account enumeration).
    let unknown = app.gql_ok(SIGN_IN, json!({ "e": "nobody@example.com", "p": "whatever phrase" })).await;
    assert_eq!(unknown["tokenCreate"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn slowed_answers_grow_with_failures() {
    // The delays, as the throttle computes them from the failures stored in the database.
    let app = TestApp::spawn().await;
    let policy = ThrottlePolicy { account: Limits { slow_after: 1, lock_after: 10 }, ..ThrottlePolicy::default() };
    let throttle = LoginThrottle::new(app.database.clone(), policy);
    let email = Email::parse("slowed@example.com").unwrap();
    let mut delays = Vec::new();
    for _ in 0..4 {
        delays.push(throttle.before_attempt(&email, None).await.unwrap());
        throttle.record_failure(&email, None).await.unwrap();
    }
    let step = policy.step;
    assert_eq!(delays, [Duration::ZERO, Duration::ZERO, step, step * 2], "one step more per failure past the first");
    for _ in 0..20 {
        throttle.record_failure(&email, None).await.unwrap();
    }
    // Past the lockout threshold the answer is a refusal, not a longer wait.
    assert!(throttle.before_attempt(&email, None).await.is_err());

    // And through the API: a slowed answer really waits (a lower bound only: the
    // machine may be slow, never fast), and the right password still works.
    let overrides = [("LOGIN_SLOWDOWN_AFTER", "1"), ("LOGIN_LOCKOUT_AFTER", "10"), ("RATE_LIMIT_AUTH_PER_MINUTE", "0")];
    let app = TestApp::spawn_with(TestDb::seeded(), &overrides).await;
    let user = app.user(Role::Customer).await;
    let wrong = json!({ "e": user.email, "p": "wrong password here" });
    for _ in 0..3 {
        app.gql_ok(SIGN_IN, wrong.clone()).await;
    }
    let slowed = std::time::Instant::now();
    app.gql_ok(SIGN_IN, wrong).await;
    assert!(slowed.elapsed() >= step * 2, "the fourth failure waited at least two steps");
    let ok = app.gql_ok(SIGN_IN, json!({ "e": user.email, "p": user.password })).await;
    assert_eq!(ok["tokenCreate"]["userErrors"], json!([]), "a correct password still works while slowed");
}

#[tokio::test]
async fn admins_create_invite_and_promote_staff() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let create = app
        .gql_as(
            &admin.access_token,
            "mutation($i: StaffCreateInput!) { staffCreate(input: $i) { user { id email role version } userErrors { code field } } }",
            json!({ "i": { "email": "stan@example.com", "name": "Stan", "password": "inventory counts 42", "role": "STAFF" } }),
        )
        .await;
    let stan = &create["data"]["staffCreate"]["user"];
    assert_eq!(stan["role"], "STAFF");

    let invite = app
        .gql_as(
            &admin.access_token,
            "mutation($i: StaffInviteInput!) { staffInvite(input: $i) { user { status } inviteToken userErrors { code } } }",
            json!({ "i": { "email": "ines@example.com", "name": "Ines" } }),
        )
        .await;
    let invite = &invite["data"]["staffInvite"];
    assert_eq!(invite["user"]["status"], "INVITED");
    let token = invite["inviteToken"].as_str().unwrap();
    let invited_sign_in = app.gql_ok(SIGN_IN, json!({ "e": "ines@example.com", "p": "anything at all" })).await;
    assert_eq!(invited_sign_in["tokenCreate"]["userErrors"][0]["code"], "INVALID_CREDENTIALS", "no password yet");
    const ACCEPT: &str = "mutation($t: String!, $p: String!) { staffInviteAccept(token: $t, password: $p) { user { role status } accessToken userErrors { code } } }";
    let accepted = app.gql_ok(ACCEPT, json!({ "t": token, "p": "warehouse shelves 7" })).await;
    assert_eq!(accepted["staffInviteAccept"]["user"], json!({ "role": "STAFF", "status": "ACTIVE" }));
    let reused = app.gql_ok(ACCEPT, json!({ "t": token, "p": "warehouse shelves 8" })).await;
    assert_eq!(reused["staffInviteAccept"]["userErrors"][0]["code"], "INVALID", "an invite works once");

    const ROLE: &str = "mutation($u: ID!, $r: Role!, $v: Int!) { userRoleSet(userId: $u, role: $r, expectedVersion: $v) {
        user { role version } userErrors { code currentVersion } } }";
    let promoted = app.gql_as(&admin.access_token, ROLE, json!({ "u": stan["id"], "r": "ADMIN", "v": stan["version"] })).await;
    assert_eq!(promoted["data"]["userRoleSet"]["user"]["role"], "ADMIN");
    let stale = app.gql_as(&admin.access_token, ROLE, json!({ "u": stan["id"], "r": "CUSTOMER", "v": stan["version"] })).await;
    let stale = &stale["data"]["userRoleSet"];
    assert_eq!(stale["userErrors"][0]["code"], "VERSION_CONFLICT");
    assert_eq!(stale["userErrors"][0]["currentVersion"], stale["user"]["version"], "the payload carries the current state");
    assert_eq!(stale["user"]["role"], "ADMIN", "nothing changed");

    // The admin demotes themself while another admin exists: fine; the last admin cannot.
    let me = app.gql_as(&admin.access_token, "{ me { id version } }", json!({})).await["data"]["me"].clone();
    let stan_now = promoted["data"]["userRoleSet"]["user"]["version"].clone();
    let down = app.gql_as(&admin.access_token, ROLE, json!({ "u": me["id"], "r": "STAFF", "v": me["version"] })).await;
    assert_eq!(down["data"]["userRoleSet"]["user"]["role"], "STAFF");
    let stan_token =
        app.gql_ok(SIGN_IN, json!({ "e": "stan@example.com", "p": "inventory counts 42" })).await["tokenCreate"]["accessToken"].clone();
    let last = app.gql_as(stan_token.as_str().unwrap(), ROLE, json!({ "u": stan["id"], "r": "STAFF", "v": stan_now })).await;
    assert_eq!(last["data"]["userRoleSet"]["userErrors"][0]["code"], "INVALID", "{last}");

    let listed = app
        .gql_as(
            stan_token.as_str().unwrap(),
            "{ users(first: 10, filter: { roles: [STAFF, ADMIN] }) { edges { node { email role } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["users"]["edges"].as_array().unwrap().len(), 3, "{listed}");
}

#[tokio::test]
async fn auth_mutations_are_rate_limited_per_ip_with_retry_after() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("RATE_LIMIT_AUTH_PER_MINUTE", "3"), ("LOGIN_LOCKOUT_AFTER", "100")]).await;
    for _ in 0..3 {
        let data = app.gql_ok(SIGN_IN, json!({ "e": "someone@example.com", "p": "not the password" })).await;
        assert_eq!(data["tokenCreate"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
    }
    let limited = app.gql_err(SIGN_IN, json!({ "e": "someone@example.com", "p": "not the password" })).await;
    assert_eq!(code(&limited), "RATE_LIMITED");
    let retry = limited["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((1..=20).contains(&retry), "{limited}");
    // Browsing is a different tier.
    assert!(app.gql_ok("{ categories { slug } }", json!({})).await["categories"].is_array());
}

#[tokio::test]
async fn browsing_over_the_limit_is_429_with_retry_after() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("RATE_LIMIT_BROWSE_PER_MINUTE", "5")]).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let res = app.client.post(app.url("/graphql")).json(&json!({ "query": "{ categories { slug } }" })).send().await.unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
            let body: Value = res.json().await.unwrap();
            assert_eq!(code(&body["errors"][0]), "RATE_LIMITED");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
}

#[tokio::test]
async fn redis_shares_rate_limits_between_instances() {
    let Some(redis) = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) else {
        crate::helpers::skip("accounts (shared rate limits)", "TEST_REDIS_URL is not set");
        return;
    };
    let prefix = format!("test:shared:{}", uuid::Uuid::new_v4().simple());
    let overrides = [("REDIS_URL", redis.as_str()), ("RATE_LIMIT_PREFIX", prefix.as_str()), ("RATE_LIMIT_BROWSE_PER_MINUTE", "4")];
    let a = TestApp::spawn_with(TestDb::seeded(), &overrides).await;
    let b = TestApp::spawn_with(TestDb::seeded(), &overrides).await;
    let mut statuses = Vec::new();
    for app in [&a, &b, &a, &b, &a, &b] {
        let res = app.client.post(app.url("/graphql")).json(&json!({ "query": "{ categories { slug } }" })).send().await.unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429], "one budget across both instances");
}

#[tokio::test]
async fn websocket_connections_authenticate_in_connection_init() {
    let app = TestApp::spawn().await;
    let user = app.user(Role::Staff).await;
    let connect = |payload: Value| {
        let addr = app.addr;
        async move {
            let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
            request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
            let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            ws.send(Message::Text(json!({ "type": "connection_init", "payload": payload }).to_string().into())).await.unwrap();
            ws
        }
    };
    let mut ws = connect(json!({ "authorization": format!("Bearer {}", user.access_token) })).await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    ws.send(Message::Text(json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ me { role } }" } }).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["payload"]["data"]["me"]["role"], "STAFF");

    let mut guest = connect(json!({})).await;
    assert_eq!(next_json(&mut guest).await["type"], "connection_ack", "no credentials: anonymous");
    guest
        .send(Message::Text(json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ me { role } }" } }).to_string().into()))
        .await
        .unwrap();
    let refused = next_json(&mut guest).await;
    assert_eq!(code(&refused["payload"]["errors"][0]), "UNAUTHENTICATED", "{refused}");

    let mut bad = connect(json!({ "authorization": "Bearer forged.token.here" })).await;
    let closed = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), bad.next()).await.expect("answer in time") {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| f.code.into()).unwrap_or(0u16),
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_ne!(v["type"], "connection_ack", "a bad token is not acknowledged");
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break 0,
        }
    };
    assert_ne!(closed, 1000, "closed with an error code, not a normal close");
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg =
            tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.expect("message in time").expect("open").expect("ok");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("CORS_ALLOWED_ORIGINS", "https://shop.example.com")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,authorization")
            .send()
    };
    let ok = preflight("https://shop.example.com").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://shop.example.com");
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
