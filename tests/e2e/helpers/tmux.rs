//! A detached tmux session running one command in a real terminal, for
//! tests of what only a terminal shows: the dashboard, and the y/N prompt
//! of `seatdesk revoke`. Each session has its own tmux server (socket), so
//! tests never share one, and it is killed when dropped.

use std::process::Command;
use std::time::{Duration, Instant};

/// How long a screen may take to show what a test waits for: generous, as
/// this only bounds a hang, it measures nothing.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    /// True when tmux can be run; tests print a note and skip otherwise.
    pub fn available() -> bool {
        Command::new("tmux").arg("-V").output().is_ok()
    }

    /// Starts `command` (a shell command line) in a `width`×`height`
    /// terminal. `name` tells sessions of one test process apart.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("seatdesk-{name}-{}", std::process::id()),
            session: name.to_string(),
        };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", name, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg(command)
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    /// Types `keys` (tmux key names: "Enter", "y", "/"…).
    pub fn send(&self, keys: &[&str]) {
        let status = self
            .command()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux send-keys failed");
    }

    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`, and returns the screen. Blocks
    /// the thread: from async code, call it inside `block_in_place`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_any(&[text])
    }

    /// Waits until the screen shows one of `texts`, and returns the screen.
    pub fn wait_for_any(&self, texts: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if texts.iter().any(|text| screen.contains(text)) {
                return screen;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "none of {texts:?} appeared; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}
