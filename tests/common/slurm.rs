//! A throwaway one-node SLURM cluster for tests: Debian's `munged`,
//! `slurmctld` and `slurmd` run as child processes under a temporary folder
//! (own munge key and socket, own `slurm.conf` with free controller and node
//! ports, so that two runs do not collide), stopped by PID when dropped, also
//! when the test fails. Recipe: ../shared/reference/environment.md, "SLURM
//! as a one-node cluster".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// The packages that provide the daemons and client commands.
const PACKAGES: &str = "slurmctld slurmd slurm-client munge";

/// A running one-node cluster; its daemons stop when it is dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    conf: PathBuf,
    /// The daemons, started in this order and stopped in the reverse one.
    daemons: Vec<(&'static str, Child)>,
}

/// Where a program is: on PATH, or in the sbin folders where Debian puts
/// daemons (not on an ordinary user's PATH). A missing program fails the
/// test, naming the packages.
pub fn program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed (on PATH or in /usr/sbin): the SLURM test needs \
                 {PACKAGES} (`make system-deps` installs them)"
            )
        })
}

fn output_of(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Cluster {
    /// Writes the key and `slurm.conf`, starts munged, slurmctld and slurmd,
    /// and waits until the node is idle.
    pub fn start() -> Cluster {
        let (munged, slurmctld, slurmd) =
            (program("munged"), program("slurmctld"), program("slurmd"));
        for client in ["sbatch", "squeue", "scontrol", "scancel", "sinfo"] {
            program(client);
        }
        let dir = tempfile::Builder::new()
            .prefix("cow-slurm-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        for sub in ["state", "spool"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let key = d.join("munge.key");
        let mut bytes = [0u8; 128];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").unwrap(),
            &mut bytes,
        )
        .unwrap();
        std::fs::write(&key, bytes).unwrap();
        set_mode(&key, 0o600);

        let host = output_of(Command::new("hostname").arg("-s"));
        let user = output_of(Command::new("id").arg("-un"));
        let (ctld_port, node_port) = loop {
            let (a, b) = (free_port(), free_port());
            if a != b {
                break (a, b);
            }
        };
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let socket = d.join("munge.socket");
        let p = |name: &str| d.join(name).display().to_string();
        let conf_text = format!(
            "ClusterName=cowtest\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={node_port}\n\
             SlurmUser={user}\n\
             SlurmdUser={user}\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\n\
             SchedulerParameters=batch_sched_delay=0,sched_min_interval=0\n\
             KillWait=5\n\
             StateSaveLocation={state}\n\
             SlurmdSpoolDir={spool}\n\
             SlurmctldPidFile={ctld_pid}\n\
             SlurmdPidFile={node_pid}\n\
             SlurmctldLogFile={ctld_log}\n\
             SlurmdLogFile={node_log}\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            socket = socket.display(),
            state = p("state"),
            spool = p("spool"),
            ctld_pid = p("slurmctld.pid"),
            node_pid = p("slurmd.pid"),
            ctld_log = p("slurmctld.log"),
            node_log = p("slurmd.log"),
        );
        let conf = d.join("slurm.conf");
        std::fs::write(&conf, conf_text).unwrap();

        let mut cluster = Cluster {
            conf,
            daemons: Vec::new(),
            dir,
        };
        let d = cluster.dir.path().to_path_buf();
        let mut munge = Command::new(munged);
        munge
            .arg("--foreground")
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", d.join("munged.pid").display()))
            .arg(format!("--log-file={}", d.join("munged.log").display()))
            .arg(format!("--seed-file={}", d.join("munged.seed").display()));
        cluster.spawn("munged", &mut munge);
        cluster.wait_for("the munge socket", |_| socket.exists());
        let conf = cluster.conf.clone();
        cluster.spawn(
            "slurmctld",
            Command::new(slurmctld).arg("-D").arg("-f").arg(&conf),
        );
        cluster.spawn(
            "slurmd",
            Command::new(slurmd).arg("-D").arg("-f").arg(&conf),
        );
        cluster.wait_for("the node to be idle", |c| {
            c.command("sinfo")
                .args(["-h", "-o", "%T"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    fn spawn(&mut self, name: &'static str, cmd: &mut Command) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.out"))).unwrap();
        let child = cmd
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        self.daemons.push((name, child));
    }

    /// Polls `ready` for up to 30 s; panics with the daemons' logs.
    fn wait_for(&mut self, what: &str, ready: impl Fn(&Cluster) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready(self) {
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|(name, child)| child.try_wait().ok().flatten().map(|s| (*name, s)));
            if let Some((name, status)) = exited {
                panic!(
                    "{name} exited ({status}) while waiting for {what}\n{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The cluster's `slurm.conf`.
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// A command with `SLURM_CONF` set to this cluster's configuration.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// Waits until job `job` has left the queue (every task finished).
    pub fn wait_job(&self, job: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self
                .command("squeue")
                .args(["-h", "-j", job, "-o", "%i %T"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let gone = !out.status.success()
                && String::from_utf8_lossy(&out.stderr).contains("Invalid job id");
            if gone || (out.status.success() && text.trim().is_empty()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} still queued after {timeout:?}:\n{text}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The state of each array task of a finished job (`COMPLETED`,
    /// `CANCELLED`, `FAILED`, ...), by task id.
    pub fn task_states(&self, job: &str) -> BTreeMap<u32, String> {
        let text = output_of(self.command("scontrol").args(["-o", "show", "job", job]));
        text.lines()
            .map(|line| {
                let field = |key: &str| {
                    line.split_whitespace()
                        .find_map(|f| f.strip_prefix(key))
                        .unwrap_or_else(|| panic!("no {key} in {line}"))
                        .to_string()
                };
                let task = field("ArrayTaskId=");
                let task = task
                    .parse()
                    .unwrap_or_else(|_| panic!("array task {task:?} is not one task: {line}"));
                (task, field("JobState="))
            })
            .collect()
    }

    /// The daemons' log files, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for name in [
            "munged.log",
            "slurmctld.log",
            "slurmd.log",
            "slurmctld.out",
            "slurmd.out",
        ] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            s.push_str(&format!("--- {name} (last lines)\n"));
            for l in tail.into_iter().rev() {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }
}

impl Drop for Cluster {
    /// Cancels what is still queued, then stops slurmd, slurmctld and munged
    /// with SIGTERM (SIGKILL after 10 s), each by its PID.
    fn drop(&mut self) {
        if self.daemons.len() == 3 {
            let _ = self
                .command("scancel")
                .args(["--partition", "debug"])
                .output();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                let out = self.command("squeue").arg("-h").output();
                if out.is_ok_and(|o| o.status.success() && o.stdout.is_empty()) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        while let Some((_name, mut child)) = self.daemons.pop() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
