//! Postgres clusters of a test's own (initdb + pg_ctl on a free port in a temp dir; the
//! shared server is never touched), and streaming replicas of them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A Postgres cluster of the test's own, stopped (immediately) on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Postgres refuses to run as root: as root, it runs as the `postgres` user.
    as_postgres: bool,
}

/// Where the server binaries are: next to `initdb` on the PATH, or the newest Debian
/// package's.
fn postgres_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
        .filter_map(|initdb| initdb.parent().map(Path::to_path_buf));
    let mut packaged: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().filter_map(|e| Some(e.ok()?.path().join("bin"))).collect();
    packaged.sort_by_key(|p| p.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
    on_path.chain(packaged.into_iter().rev()).find(|bin| bin.join("pg_ctl").exists() && bin.join("postgres").exists())
}

impl Cluster {
    pub fn start() -> Result<Cluster, String> {
        let cluster = Self::empty()?;
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])?;
        cluster.configure("")?;
        cluster.pg_ctl(&["start"])?;
        Ok(cluster)
    }

    /// A hot standby of `primary`, streaming from it (`pg_basebackup -R`), started.
    pub fn standby_of(primary: &Cluster) -> Result<Cluster, String> {
        let cluster = Self::empty()?;
        let data = cluster.data();
        let port = primary.port.to_string();
        cluster
            .run("pg_basebackup", &["-D", &data, "-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-R", "-X", "stream", "--no-sync"])?;
        cluster.configure("hot_standby = on\n")?;
        cluster.pg_ctl(&["start"])?;
        Ok(cluster)
    }

    /// A temp dir (owned by `postgres` when running as root) and a free port.
    fn empty() -> Result<Cluster, String> {
        let bin = postgres_bin().ok_or("no Postgres server binaries (initdb, pg_ctl)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let uid = std::process::Command::new("id").arg("-u").output().map_err(|e| e.to_string())?;
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if as_postgres {
            let chown = std::process::Command::new("chown").arg("postgres:").arg(dir.path()).status().map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("running as root and cannot hand a directory to the postgres user".into());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Ok(Cluster { dir, bin, port, as_postgres })
    }

    /// Appends this cluster's port and socket (and `extra`) to its settings.
    fn configure(&self, extra: &str) -> Result<(), String> {
        // Durability of Postgres itself is not under test (a stop is a process crash,
        // not a power cut, so the OS keeps what was written).
        let settings = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 60\n{extra}",
            self.port,
            self.dir.path().display()
        );
        use std::io::Write;
        let mut conf =
            std::fs::OpenOptions::new().append(true).open(format!("{}/postgresql.conf", self.data())).map_err(|e| e.to_string())?;
        conf.write_all(settings.as_bytes()).map_err(|e| e.to_string())
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            std::process::Command::new(&path)
        };
        let out = command.args(args).current_dir(self.dir.path()).output().map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{program} {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let (data, log) = (self.data(), self.dir.path().join("postgres.log").display().to_string());
        let mut all = vec!["-D", data.as_str(), "-l", log.as_str(), "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// A blocking pg_ctl call off the test's runtime threads.
    pub async fn ctl(self: &Arc<Self>, args: &'static [&'static str]) {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.pg_ctl(args)).await.unwrap().unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
    }
}
