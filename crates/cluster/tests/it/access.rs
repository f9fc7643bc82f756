//! Where the frontend answers after a deploy: the Service's real node port, or the
//! `minikube service --url` tunnel where the driver gives this machine no route to the node.

use std::net::{Ipv4Addr, TcpListener};

use cluster::Cluster;
use cluster::access::{FrontendAccess, Host, frontend_access, needs_tunnel, node_port};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};

use crate::fake::{Fakes, reply, repo_root, tools};

fn host(os: &str, wsl: bool, docker_host: Option<&str>) -> Host {
    Host {
        os: os.into(),
        wsl,
        docker_host: docker_host.map(str::to_owned),
    }
}

#[test]
fn container_drivers_need_a_tunnel_where_minikube_says_so() {
    let check = |driver: &str, host: Host, expect: Option<&str>| {
        let got = needs_tunnel(driver, &host);
        match (got.as_deref(), expect) {
            (None, None) => {}
            (Some(reason), Some(part)) => {
                assert!(reason.contains(part), "{driver} {host:?}: {reason}")
            }
            (got, want) => panic!("{driver} {host:?}: got {got:?}, want {want:?}"),
        }
    };
    check("docker", host("linux", false, None), None);
    check(
        "docker",
        host("linux", false, Some("unix:///run/user/1000/docker.sock")),
        None,
    );
    check("podman", host("linux", false, None), None);
    check(
        "docker",
        host("macos", false, None),
        Some("docker driver on macOS"),
    );
    check(
        "podman",
        host("macos", false, None),
        Some("podman driver on macOS"),
    );
    check("docker", host("windows", false, None), Some("on Windows"));
    check("docker", host("linux", true, None), Some("on WSL"));
    check(
        "docker",
        host("linux", false, Some("tcp://10.0.0.5:2376")),
        Some("engine at tcp://10.0.0.5:2376"),
    );
    check(
        "docker",
        host("linux", false, Some("ssh://builder")),
        Some("ssh://builder"),
    );
    // VM drivers give the host a route to the node everywhere.
    for driver in ["kvm2", "hyperkit", "qemu2", "vfkit", "hyperv", "virtualbox"] {
        check(driver, host("macos", false, None), None);
        check(driver, host("windows", false, None), None);
    }
}

fn service(type_: &str, ports: &[(Option<&str>, Option<i32>)]) -> Service {
    Service {
        spec: Some(ServiceSpec {
            type_: Some(type_.into()),
            ports: Some(
                ports
                    .iter()
                    .map(|(name, node_port)| ServicePort {
                        name: name.map(str::to_owned),
                        port: 3000,
                        node_port: *node_port,
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[test]
fn the_node_port_comes_from_the_service() {
    let check = |svc: Service, expect: Option<i32>| assert_eq!(node_port(&svc), expect, "{svc:?}");
    check(
        service("NodePort", &[(Some("http"), Some(31234))]),
        Some(31234),
    );
    check(
        service(
            "NodePort",
            &[(Some("metrics"), Some(30001)), (Some("http"), Some(30002))],
        ),
        Some(30002),
    );
    check(service("LoadBalancer", &[(None, Some(32000))]), Some(32000));
    check(service("ClusterIP", &[(Some("http"), None)]), None);
    check(service("NodePort", &[(Some("http"), None)]), None);
    check(Service::default(), None);
}

/// A cluster whose frontend Service has `svc`, on a Minikube profile with `driver` whose node
/// IP is 127.0.0.1.
fn scene(svc: Option<&Service>, driver: &str) -> (Fakes, Cluster) {
    let mut fakes = Fakes::new();
    // The Service is found by the chart's labels, under whatever name it has.
    let named = svc.cloned().map(|mut s| {
        s.metadata.name = Some("todo-chatbot-frontend".into());
        s
    });
    let list = serde_json::json!({"kind": "List", "items": named.into_iter().collect::<Vec<_>>()});
    fakes.tool(
        "kubectl",
        vec![
            reply("config\\ current-context", "todo-chatbot\n"),
            reply(
                "*get\\ services\\ --output\\ json\\ --selector\\ app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component=frontend",
                list.to_string(),
            ),
        ],
    );
    let profiles = std::fs::read_to_string(
        repo_root().join("crates/preflight/tests/fixtures/minikube-profile-list.json"),
    )
    .unwrap()
    .replace(r#""Name":"minikube""#, r#""Name":"todo-chatbot""#)
    .replace(r#""Driver":"docker""#, &format!(r#""Driver":"{driver}""#));
    fakes.tool(
        "minikube",
        vec![
            reply("profile\\ list\\ -o\\ json", profiles),
            reply("ip\\ --profile\\ todo-chatbot", "127.0.0.1\n"),
        ],
    );
    let cluster = Cluster::connect(
        tools(&fakes),
        "todo-chatbot",
        None,
        "todo-chatbot",
        "todo-chatbot",
        false,
    )
    .unwrap();
    (fakes, cluster)
}

const TUNNEL: &str =
    "minikube service todo-chatbot-frontend --namespace todo-chatbot --profile todo-chatbot --url";

#[test]
fn a_reachable_node_port_is_the_url_with_the_services_own_port() {
    // Something listens where the node port points: the URL works from here.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = i32::from(listener.local_addr().unwrap().port());
    let svc = service("NodePort", &[(Some("http"), Some(port))]);
    let (fakes, cluster) = scene(Some(&svc), "docker");
    let access = frontend_access(&cluster, "todo-chatbot", &host("linux", false, None)).unwrap();
    assert_eq!(
        access,
        Some(FrontendAccess::NodePort {
            url: format!("http://127.0.0.1:{port}")
        })
    );
    let calls = fakes.calls();
    assert!(
        calls.contains(
            &"kubectl --context todo-chatbot --namespace todo-chatbot get services --output json --selector app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component=frontend"
                .to_owned()
        ),
        "{calls:#?}"
    );
    assert!(
        calls.contains(&"minikube profile list -o json".to_owned()),
        "{calls:#?}"
    );

    // Nothing listens there any more (a rootless engine, Docker Desktop for Linux): the tunnel.
    drop(listener);
    let access = frontend_access(&cluster, "todo-chatbot", &host("linux", false, None)).unwrap();
    match access {
        Some(FrontendAccess::Tunnel { command, reason }) => {
            assert_eq!(command, TUNNEL);
            assert!(
                reason.contains(&format!("127.0.0.1:{port} (the node port) does not answer")),
                "{reason}"
            );
        }
        other => panic!("expected the tunnel, got {other:?}"),
    }
}

#[test]
fn docker_driver_on_macos_gets_the_tunnel_without_trying_the_node_ip() {
    let svc = service("NodePort", &[(Some("http"), Some(30000))]);
    let (fakes, cluster) = scene(Some(&svc), "docker");
    let access = frontend_access(&cluster, "todo-chatbot", &host("macos", false, None)).unwrap();
    match access {
        Some(FrontendAccess::Tunnel { command, reason }) => {
            assert_eq!(command, TUNNEL);
            assert!(reason.contains("docker driver on macOS"), "{reason}");
        }
        other => panic!("expected the tunnel, got {other:?}"),
    }
    assert!(
        !fakes.calls().iter().any(|c| c.starts_with("minikube ip")),
        "{:#?}",
        fakes.calls()
    );
}

#[test]
fn no_node_port_means_no_url() {
    for svc in [Some(service("ClusterIP", &[(Some("http"), None)])), None] {
        let (fakes, cluster) = scene(svc.as_ref(), "docker");
        let access =
            frontend_access(&cluster, "todo-chatbot", &host("linux", false, None)).unwrap();
        assert_eq!(access, None, "{svc:?}");
        assert!(
            !fakes.calls().iter().any(|c| c.starts_with("minikube")),
            "{:#?}",
            fakes.calls()
        );
    }
}

#[test]
fn the_access_serializes_with_its_kind() {
    let json = serde_json::to_value(FrontendAccess::Tunnel {
        command: TUNNEL.into(),
        reason: "r".into(),
    })
    .unwrap();
    assert_eq!(json["kind"], "tunnel");
    assert_eq!(json["command"], TUNNEL);
    let json = serde_json::to_value(FrontendAccess::NodePort {
        url: "http://192.168.49.2:30000".into(),
    })
    .unwrap();
    assert_eq!(json["kind"], "node-port");
}
