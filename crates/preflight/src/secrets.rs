//! Secrets: only whether each is present (and long enough), never its value.

use chart_values::{JWT_SECRET, OPENAI_API_KEY};

use crate::cluster::ContextOutcome;
use crate::config::{Need, Secret, SecretSource};
use crate::probe::{Probe, one_line};
use crate::{Check, Config, Status};

pub(crate) fn rows(probe: &Probe<'_>, config: &Config, context: &ContextOutcome) -> Vec<Check> {
    config
        .secrets
        .iter()
        .map(|secret| match &secret.source {
            SecretSource::Env { var } => env_row(config, secret, var),
            SecretSource::Cluster {
                secret: name,
                key,
                create,
            } => cluster_row(probe, config, context, secret, name, key, create),
        })
        .collect()
}

fn id(secret: &Secret) -> String {
    format!(
        "secret.{}",
        secret.name.to_ascii_lowercase().replace(' ', "-")
    )
}

fn env_row(config: &Config, secret: &Secret, var: &str) -> Check {
    let name = format!("secret {}", secret.name);
    let fix = if var == JWT_SECRET.env {
        format!("export {var}=\"$(openssl rand -hex 32)\"")
    } else if var == OPENAI_API_KEY.env {
        format!("export {var}=<your key> (any OpenAI-compatible provider; see OPENAI_BASE_URL)")
    } else {
        format!("export {var}=…")
    };
    match config.env.get(var) {
        Some(value) if value.len() < secret.min_len => Check::new(
            id(secret),
            name,
            Status::Fail,
            format!(
                "{var} is set but shorter than {} bytes ({})",
                secret.min_len, secret.why
            ),
        )
        .fix(fix),
        Some(_) => Check::new(
            id(secret),
            name,
            Status::Ok,
            format!("{var} is set (value not shown)"),
        ),
        None => match secret.need {
            Need::Required => Check::new(
                id(secret),
                name,
                Status::Fail,
                format!("{var} is not set; required: {}", secret.why),
            )
            .fix(fix),
            Need::Generated => Check::new(
                id(secret),
                name,
                Status::Ok,
                format!(
                    "{var} not set: the chart generates one on first install and keeps it on upgrade ({})",
                    secret.why
                ),
            ),
            Need::Optional => Check::new(
                id(secret),
                name,
                Status::Info,
                format!("{var} not set ({})", secret.why),
            )
            .fix(fix),
        },
    }
}

fn cluster_row(
    probe: &Probe<'_>,
    config: &Config,
    context: &ContextOutcome,
    secret: &Secret,
    name: &str,
    key: &str,
    create: &str,
) -> Check {
    let row_name = format!("secret {}", secret.name);
    let ns = &config.namespace;
    let Some(ctx) = context.context.as_deref().filter(|_| context.allowed) else {
        return Check::new(
            id(secret),
            row_name,
            Status::Info,
            format!("Secret {ns}/{name} (key {key}) not checked: no usable kube context"),
        );
    };
    // Print the key names only: the values never leave the cluster.
    let template = "{{range $k, $v := .data}}{{$k}}{{\"\\n\"}}{{end}}";
    let out = probe.run(
        "kubectl",
        &[
            "--context",
            ctx,
            "-n",
            ns,
            "get",
            "secret",
            name,
            "-o",
            &format!("go-template={template}"),
        ],
    );
    match out {
        Ok(out) if out.success() => {
            if out.stdout.lines().any(|l| l.trim() == key) {
                Check::new(
                    id(secret),
                    row_name,
                    Status::Ok,
                    format!("Secret {ns}/{name} has key {key} ({})", secret.why),
                )
            } else {
                Check::new(
                    id(secret),
                    row_name,
                    Status::Fail,
                    format!("Secret {ns}/{name} has no key {key} ({})", secret.why),
                )
                .fix(format!("kubectl -n {ns} delete secret {name} && {create}"))
            }
        }
        Ok(out) if out.stderr.contains("NotFound") || out.stderr.contains("not found") => {
            let status = if secret.need == Need::Required {
                Status::Fail
            } else {
                Status::Info
            };
            Check::new(
                id(secret),
                row_name,
                status,
                format!("Secret {ns}/{name} does not exist ({})", secret.why),
            )
            .fix(create)
        }
        Ok(out) => Check::new(
            id(secret),
            row_name,
            Status::Warn,
            format!(
                "could not check Secret {ns}/{name}: {}",
                one_line(&out.stderr)
            ),
        )
        .fix(format!("kubectl --context {ctx} -n {ns} get secret {name}")),
        Err(reason) => Check::new(
            id(secret),
            row_name,
            Status::Warn,
            format!("could not check Secret {ns}/{name}: {reason}"),
        ),
    }
}

/// Which AI provider the environment points at: names of the variables only, and the base
/// URL's host (a URL can carry credentials in its user part, which is dropped).
pub(crate) fn ai_row(config: &Config) -> Check {
    const KEYS: &[(&str, &str)] = &[
        ("OPENAI_API_KEY", "OpenAI-compatible"),
        ("GEMINI_API_KEY", "Gemini"),
        ("GOOGLE_API_KEY", "Gemini"),
        ("ANTHROPIC_API_KEY", "Anthropic"),
        ("AZURE_OPENAI_API_KEY", "Azure OpenAI"),
        ("COHERE_API_KEY", "Cohere"),
    ];
    let set: Vec<String> = KEYS
        .iter()
        .filter(|(var, _)| config.env.get(var).is_some())
        .map(|(var, provider)| format!("{var} ({provider})"))
        .collect();
    if set.is_empty() {
        return Check::new(
            "ai.provider",
            "AI provider",
            Status::Info,
            "no AI provider key set: the built-in agent answers chat; the LLM agent, kubectl-ai and kagent need one",
        )
        .fix("export OPENAI_API_KEY=<key> (with OPENAI_BASE_URL for Gemini, Cohere, Ollama, vLLM) or GEMINI_API_KEY=<key>");
    }
    let mut detail = format!("set: {}", set.join(", "));
    if let Some(url) = config.env.get("OPENAI_BASE_URL") {
        let host = url_host(url);
        detail.push_str(&format!(
            "\nOPENAI_BASE_URL host {host} ({})",
            provider_of(&host)
        ));
    }
    if let Some(model) = config.env.get("OPENAI_MODEL") {
        detail.push_str(&format!("\nOPENAI_MODEL {model}"));
    }
    Check::new("ai.provider", "AI provider", Status::Ok, detail)
}

fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_owned()
}

fn provider_of(host: &str) -> &'static str {
    let h = host.to_ascii_lowercase();
    if h.contains("generativelanguage.googleapis.com") {
        "Gemini"
    } else if h.contains("cohere") {
        "Cohere"
    } else if h.ends_with(":11434") {
        "Ollama"
    } else if h.contains("openai.azure.com") {
        "Azure OpenAI"
    } else if h.contains("api.openai.com") {
        "OpenAI"
    } else if h.starts_with("localhost") || h.starts_with("127.") {
        "local server"
    } else {
        "OpenAI-compatible"
    }
}

/// `url_host` for tests.
#[cfg(test)]
mod tests {
    use super::url_host;

    #[test]
    fn url_host_drops_credentials_and_path() {
        for (url, host) in [
            ("https://user:pw@api.example.com/v1", "api.example.com"),
            ("http://localhost:11434/v1", "localhost:11434"),
            ("api.openai.com", "api.openai.com"),
        ] {
            assert_eq!(url_host(url), host, "{url}");
        }
    }
}
