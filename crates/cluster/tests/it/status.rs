//! The usage and autoscaler parts of `todoctl status`, on answers recorded from the test cluster
//! (tests/fixtures/status/README.md).

use std::path::Path;

use cluster::status::{self, PodUsage};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/status")
            .join(name),
    )
    .unwrap()
}

fn hpa(name: &str) -> HorizontalPodAutoscaler {
    let list: serde_json::Value = serde_json::from_str(&fixture(name)).unwrap();
    serde_json::from_value(list["items"][0].clone()).unwrap()
}

#[test]
fn autoscalers_read_as_kubectl_get_hpa_shows_them() {
    let blind = status::summarize_autoscaler(&hpa("hpa-no-cpu-request.json"));
    assert_eq!(blind.targets, ["cpu: <unknown>/70%"]);
    assert_eq!(blind.target, "Deployment/web");
    assert_eq!((blind.min_replicas, blind.max_replicas), (1, 3));
    let problem = blind.problem.expect("ScalingActive is False");
    assert!(
        problem.starts_with("FailedGetResourceMetric: ")
            && problem.contains("missing request for cpu"),
        "{problem}"
    );

    let measured = status::summarize_autoscaler(&hpa("hpa-measured.json"));
    assert_eq!(measured.targets, ["cpu: 0%/70%"]);
    assert_eq!(
        (measured.current_replicas, measured.desired_replicas),
        (1, 1)
    );
    assert_eq!(measured.problem, None);
}

#[test]
fn pod_usage_is_rounded_as_kubectl_top_rounds_it() {
    let pods = status::parse_pod_metrics(&fixture("pod-metrics-kube-system.json")).unwrap();
    let top: Vec<PodUsage> = fixture("top-pod-kube-system.txt")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            PodUsage {
                name: fields[0].to_owned(),
                cpu_millicores: fields[1].trim_end_matches('m').parse().unwrap(),
                memory_mib: fields[2].trim_end_matches("Mi").parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(pods, top);
}

#[test]
fn usage_sums_containers_and_a_bad_quantity_is_named() {
    let list = |usage: &str| {
        format!(
            r#"{{"kind":"PodMetricsList","items":[{{"metadata":{{"name":"p"}},"containers":[{{"name":"a","usage":{{"cpu":"250m","memory":"64Mi"}}}},{{"name":"b","usage":{usage}}}]}}]}}"#
        )
    };
    assert_eq!(
        status::parse_pod_metrics(&list(r#"{"cpu":"1","memory":"1Gi"}"#)).unwrap(),
        [PodUsage {
            name: "p".into(),
            cpu_millicores: 1250,
            memory_mib: 1088
        }]
    );
    let err = status::parse_pod_metrics(&list(r#"{"cpu":"lots","memory":"1Gi"}"#)).unwrap_err();
    assert!(err.contains("pod p: cpu usage `lots`"), "{err}");
    assert!(status::parse_pod_metrics("Error from server (NotFound)").is_err());
}
