//! The job script of `cow slurm`: the text of one bash script for an
//! `sbatch --array` job whose task K runs shard K of the run (starting and
//! stopping its bridge server around it), and the shell quoting it needs.

/// Everything the job script holds. Paths are absolute, so that a task runs
/// the same from any working directory; the values have been checked by the
/// caller (no newline, no `"` in what goes on an `#SBATCH` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobScript {
    /// The `cow` binary every task runs.
    pub cow: String,
    /// The configuration file the tasks' `cow run` reads.
    pub config: String,
    /// The episode file of the run (the bridge's `{episodes}`).
    pub episodes: String,
    /// The run directory: task K writes `OUT/shard-K`, logs go to `OUT/slurm/`.
    pub out: String,
    /// Working directory of the tasks, where `cow slurm` ran (relative paths
    /// inside the config are read from there).
    pub workdir: String,
    /// Number of shards of the run.
    pub shards: u32,
    /// The array tasks to run, as `sbatch --array` takes them (`0-3`, `1,3`).
    pub array: String,
    /// SLURM job name.
    pub job_name: String,
    /// SLURM partition.
    pub partition: Option<String>,
    /// Time limit per task.
    pub time: Option<String>,
    /// Generic resources per task, e.g. `gpu:1`.
    pub gres: Option<String>,
    /// CPUs per task.
    pub cpus_per_task: Option<u32>,
    /// `--workers` of each task's `cow run` (none: left to `cow run` or to `run_args`).
    pub workers: Option<u32>,
    /// The bridge command template (`{port}`, `{endpoint}`, `{episodes}`);
    /// none: the tasks run the embedded simulator.
    pub bridge: Option<String>,
    /// Seconds a task waits for its bridge to answer `hello`.
    pub bridge_timeout: u64,
    /// Extra arguments of every task's `cow run`.
    pub run_args: Vec<String>,
}

/// The `sbatch --array` value: every shard (`0-(N-1)`), or only `tasks`
/// (`K,L`, sorted, each once).
pub fn array_spec(shards: u32, tasks: &[u32]) -> String {
    if tasks.is_empty() {
        return format!("0-{}", shards.saturating_sub(1));
    }
    let mut t = tasks.to_vec();
    t.sort_unstable();
    t.dedup();
    t.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// One word for bash: as is when it holds only characters the shell leaves
/// alone, else single-quoted (a `'` inside becomes `'\''`).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Words joined into one bash command line, each quoted.
pub fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bridge command with its placeholders turned into the task's shell
/// variables: `{port}`, `{endpoint}` and `{episodes}` become `"${port}"`,
/// `"${endpoint}"` and `"${episodes}"` (set and exported by the script).
pub fn bridge_command(template: &str) -> String {
    template
        .replace("{port}", "\"${port}\"")
        .replace("{endpoint}", "\"${endpoint}\"")
        .replace("{episodes}", "\"${episodes}\"")
}

/// A value on an `#SBATCH` line: double-quoted when it holds a space
/// (sbatch reads quoted values; the caller refuses `"` and newlines).
fn sbatch_value(value: &str) -> String {
    if value.chars().any(char::is_whitespace) {
        format!("\"{value}\"")
    } else {
        value.to_string()
    }
}

/// Lines that start the bridge on a free port, stop it on every exit of the
/// script (trap), and wait until it answers `hello`.
fn bridge_section(template: &str, timeout: u64) -> String {
    let bridge = quote(&bridge_command(template));
    format!(
        r#"
# The bridge server of this task: on a free port, in a session of its own so
# that stop_bridge ends it and whatever it started, on every exit of this
# script (the run finished or failed, or the task was cancelled).
free_port() {{
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 10000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${{p}}") 2>/dev/null; then
            echo "${{p}}"
            return 0
        fi
    done
    echo "cow slurm: no free port in 20000-29999" >&2
    return 1
}}
stop_bridge() {{
    [[ -n "${{bridge_pid:-}}" ]] || return 0
    kill -TERM -- "-${{bridge_pid}}" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "${{bridge_pid}}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-${{bridge_pid}}" 2>/dev/null || true
    echo "cow slurm: bridge stopped"
}}
port=$(free_port)
endpoint="tcp://127.0.0.1:${{port}}"
export port endpoint episodes
bridge={bridge}
trap stop_bridge EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
echo "cow slurm: starting the bridge on ${{endpoint}}: ${{bridge}}"
setsid bash -c "${{bridge}}" &
bridge_pid=$!
deadline=$((SECONDS + {timeout}))
until "${{cow}}" -q sim wait "${{endpoint}}" --timeout 2 >/dev/null 2>&1; do
    if ! kill -0 "${{bridge_pid}}" 2>/dev/null; then
        echo "cow slurm: the bridge exited before answering hello" >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "cow slurm: the bridge did not answer hello within {timeout} s" >&2
        exit 1
    fi
done
echo "cow slurm: the bridge answers on ${{endpoint}}"
"#
    )
}

impl JobScript {
    /// The script: `#SBATCH` lines, the task's variables, the bridge (when
    /// there is one) and the shard's `cow run` with `--resume`.
    pub fn render(&self) -> String {
        let mut s = String::from("#!/bin/bash\n");
        s.push_str(&format!(
            "# cow slurm: array task K runs shard K/{} of {}\n\
             # into {}/shard-K; written by `cow slurm`. Re-submit failed tasks with\n\
             # `cow slurm ... --tasks K` (they resume: records already written are kept).\n",
            self.shards, self.episodes, self.out
        ));
        let mut sbatch = |option: &str, value: &str| {
            s.push_str(&format!("#SBATCH --{option}={}\n", sbatch_value(value)));
        };
        sbatch("job-name", &self.job_name);
        sbatch("array", &self.array);
        // `%` starts a file-name pattern in --output; a literal one is `%%`.
        let log = format!("{}/slurm/%A_%a.out", self.out.replace('%', "%%"));
        sbatch("output", &log);
        if let Some(p) = &self.partition {
            sbatch("partition", p);
        }
        if let Some(t) = &self.time {
            sbatch("time", t);
        }
        if let Some(g) = &self.gres {
            sbatch("gres", g);
        }
        if let Some(c) = self.cpus_per_task {
            sbatch("cpus-per-task", &c.to_string());
        }
        s.push_str("set -euo pipefail\n\n");
        s.push_str("# Relative paths inside the config are read from where cow slurm ran.\n");
        s.push_str(&format!("cd {}\n", quote(&self.workdir)));
        s.push_str(&format!("cow={}\n", quote(&self.cow)));
        s.push_str(&format!("config={}\n", quote(&self.config)));
        s.push_str(&format!("episodes={}\n", quote(&self.episodes)));
        s.push_str(&format!("out={}\n", quote(&self.out)));
        s.push_str(&format!("shards={}\n", self.shards));
        s.push_str(
            "shard=${SLURM_ARRAY_TASK_ID:?this script runs as a task of a SLURM job array}\n",
        );
        s.push_str(
            "echo \"cow slurm: task ${shard} of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname)\"\n",
        );
        let sim = match &self.bridge {
            Some(template) => {
                s.push_str(&bridge_section(template, self.bridge_timeout));
                "\"${endpoint}\""
            }
            None => "embedded",
        };
        s.push('\n');
        s.push_str("# The shard; --resume skips the episodes it has already recorded.\n");
        s.push_str(&format!(
            "\"${{cow}}\" run --config \"${{config}}\" --sim {sim}"
        ));
        if let Some(w) = self.workers {
            s.push_str(&format!(" --workers {w}"));
        }
        s.push_str(
            " \\\n    --shard \"${shard}/${shards}\" --resume --out \"${out}/shard-${shard}\"",
        );
        if !self.run_args.is_empty() {
            s.push_str(&format!(" \\\n    {}", command_line(&self.run_args)));
        }
        s.push('\n');
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn script() -> JobScript {
        JobScript {
            cow: "/opt/cow/bin/cow".into(),
            config: "/home/u/my configs/hm3d.toml".into(),
            episodes: "/data/val.json.gz".into(),
            out: "/scratch/runs/hm3d".into(),
            workdir: "/home/u".into(),
            shards: 4,
            array: array_spec(4, &[]),
            job_name: "cow-hm3d".into(),
            partition: None,
            time: None,
            gres: None,
            cpus_per_task: None,
            workers: Some(1),
            bridge: None,
            bridge_timeout: 600,
            run_args: vec![],
        }
    }

    /// The `#SBATCH` lines of a script, in order.
    fn sbatch_lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("#SBATCH")).collect()
    }

    #[test]
    fn array_spec_covers_every_shard_or_the_chosen_tasks() {
        assert_eq!(array_spec(4, &[]), "0-3");
        assert_eq!(array_spec(1, &[]), "0-0");
        assert_eq!(array_spec(8, &[5, 2, 5]), "2,5");
        assert_eq!(array_spec(8, &[7]), "7");
    }

    #[test]
    fn quoting_leaves_plain_words_and_protects_the_rest() {
        assert_eq!(quote("--max-steps"), "--max-steps");
        assert_eq!(quote("/a/b.toml"), "/a/b.toml");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(command_line(&["x", "red mug"]), "x 'red mug'");
    }

    #[test]
    fn sbatch_lines_hold_the_array_log_and_resources() {
        let mut s = script();
        assert_eq!(
            sbatch_lines(&s.render()),
            [
                "#SBATCH --job-name=cow-hm3d",
                "#SBATCH --array=0-3",
                "#SBATCH --output=/scratch/runs/hm3d/slurm/%A_%a.out",
            ]
        );
        s.partition = Some("gpu".into());
        s.time = Some("04:00:00".into());
        s.gres = Some("gpu:1".into());
        s.cpus_per_task = Some(8);
        s.array = array_spec(4, &[2]);
        s.out = "/scratch/my runs/100%".into();
        assert_eq!(
            sbatch_lines(&s.render()),
            [
                "#SBATCH --job-name=cow-hm3d",
                "#SBATCH --array=2",
                "#SBATCH --output=\"/scratch/my runs/100%%/slurm/%A_%a.out\"",
                "#SBATCH --partition=gpu",
                "#SBATCH --time=04:00:00",
                "#SBATCH --gres=gpu:1",
                "#SBATCH --cpus-per-task=8",
            ]
        );
    }

    #[test]
    fn embedded_task_runs_its_shard_with_resume_and_quoted_paths() {
        let mut s = script();
        s.run_args = vec![
            "--localizer".into(),
            "oracle".into(),
            "--seed".into(),
            "7".into(),
        ];
        let text = s.render();
        assert!(text.starts_with("#!/bin/bash\n"));
        assert!(text.contains("set -euo pipefail\n"));
        assert!(text.contains("\ncd /home/u\n"));
        assert!(text.contains("\ncow=/opt/cow/bin/cow\n"));
        assert!(text.contains("\nconfig='/home/u/my configs/hm3d.toml'\n"));
        assert!(text.contains("\nshards=4\n"));
        assert!(text.contains(
            "\"${cow}\" run --config \"${config}\" --sim embedded --workers 1 \\\n    \
             --shard \"${shard}/${shards}\" --resume --out \"${out}/shard-${shard}\" \\\n    \
             --localizer oracle --seed 7\n"
        ));
        assert!(!text.contains("bridge"), "no bridge lines without --bridge");
        assert!(!text.contains("trap"));
    }

    #[test]
    fn run_arguments_with_spaces_stay_one_word() {
        let mut s = script();
        s.run_args = vec!["--record".into(), "/scratch/my recordings".into()];
        assert!(s
            .render()
            .contains("\n    --record '/scratch/my recordings'\n"));
    }

    #[test]
    fn bridge_is_started_waited_for_and_stopped_by_a_trap() {
        let mut s = script();
        s.workers = None;
        s.bridge_timeout = 900;
        s.bridge = Some(
            "cow-bridge habitat --config benchmark/nav/objectnav/objectnav_hm3d.yaml \
             --split val --bind {endpoint} --episodes {episodes}"
                .into(),
        );
        let text = s.render();
        assert!(text.contains(
            "\nbridge='cow-bridge habitat --config benchmark/nav/objectnav/objectnav_hm3d.yaml \
             --split val --bind \"${endpoint}\" --episodes \"${episodes}\"'\n"
        ));
        assert!(text.contains("\nendpoint=\"tcp://127.0.0.1:${port}\"\n"));
        assert!(text.contains("\nexport port endpoint episodes\n"));
        // The trap is set before the bridge starts, so no exit path misses it.
        let trap = text.find("trap stop_bridge EXIT").unwrap();
        let start = text.find("setsid bash -c \"${bridge}\" &").unwrap();
        let wait = text
            .find("until \"${cow}\" -q sim wait \"${endpoint}\" --timeout 2")
            .unwrap();
        let run = text.find("\"${cow}\" run ").unwrap();
        assert!(trap < start && start < wait && wait < run);
        assert!(text.contains("trap 'exit 143' TERM"));
        assert!(text.contains("kill -TERM -- \"-${bridge_pid}\""));
        assert!(text.contains("deadline=$((SECONDS + 900))"));
        assert!(text.contains("--sim \"${endpoint}\" \\\n"));
    }

    #[test]
    fn placeholders_become_exported_variables() {
        assert_eq!(
            bridge_command("srv --port={port} --data {episodes} --bind {endpoint}"),
            "srv --port=\"${port}\" --data \"${episodes}\" --bind \"${endpoint}\""
        );
        // Text that merely looks like a placeholder is left to the shell.
        assert_eq!(bridge_command("srv ${HOME}/x"), "srv ${HOME}/x");
    }
}
