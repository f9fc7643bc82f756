//! The app's two images, named once: the repositories the chart pulls
//! (`backend.image.repository` and `frontend.image.repository` in
//! `helm/todo-chatbot/values.yaml`; a test holds the two equal).

use serde::Serialize;

/// One of the app's two images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    /// todo-api.
    Backend,
    /// todo-web.
    Frontend,
}

impl Component {
    /// The image repository, as the chart's values name it (`todo-chatbot-backend`).
    pub fn repository(self) -> &'static str {
        match self {
            Component::Backend => "todo-chatbot-backend",
            Component::Frontend => "todo-chatbot-frontend",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Component;

    /// The names here are the chart's: `<key>.image.repository` in its values.yaml.
    #[test]
    fn the_repositories_are_the_charts() {
        let chart =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helm/todo-chatbot");
        let merged = chart_values::merge(&chart_values::Inputs::new(&chart)).expect("chart values");
        let values = chart_values::typed(&merged).expect("typed values");
        for (component, chart_component) in [
            (Component::Backend, &values.backend),
            (Component::Frontend, &values.frontend),
        ] {
            assert_eq!(component.repository(), chart_component.image.repository);
        }
    }
}
