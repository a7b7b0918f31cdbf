//! `cow keygen`: a CURVE key pair as ZeroMQ ZPL certificates.

use anyhow::bail;
use sim_bridge::curve::Certificate;

use crate::cli::KeygenArgs;

/// Writes `OUT/NAME.key` and `OUT/NAME.key_secret` (mode 600); refuses to
/// replace an existing pair without `--force`.
pub fn run(args: &KeygenArgs) -> anyhow::Result<()> {
    let secret = args.out.join(format!("{}.key_secret", args.name));
    if secret.exists() && !args.force {
        bail!(
            "{} exists: a new pair would lock out every peer that knows the old public key \
             (--force replaces it)",
            secret.display()
        );
    }
    let (public, secret) = Certificate::generate()?.write(&args.out, &args.name)?;
    println!(
        "public key:  {} (give it to the peers)\nsecret key:  {} (keep it on this machine)",
        public.display(),
        secret.display()
    );
    Ok(())
}
