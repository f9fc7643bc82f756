{{/*
Names, labels and shared snippets. Every helper is prefixed `todo-chatbot.`.
*/}}

{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or <release> when it already contains the chart name.
Trimmed to 49 characters so "-postgresql-hl" (14) keeps Service names within 63.
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 49 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" . }}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: todo-chatbot
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-chatbot.componentLabels" -}}
{{ include "todo-chatbot.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "todo-chatbot.componentSelectorLabels" -}}
{{ include "todo-chatbot.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding jwt-secret, postgres-password, openai-api-key, database-url. */}}
{{- define "todo-chatbot.secretName" -}}
{{- default (include "todo-chatbot.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "todo-chatbot.backendName" -}}
{{- printf "%s-backend" (include "todo-chatbot.fullname" .) }}
{{- end }}

{{- define "todo-chatbot.frontendName" -}}
{{- printf "%s-frontend" (include "todo-chatbot.fullname" .) }}
{{- end }}

{{/*
The StatefulSet's name. Its controller labels every pod with controller-revision-hash, the name
plus "-" and a hash of up to 10 characters, and a label value over 63 characters makes each pod
creation fail while the API server accepts the StatefulSet: so the name stays within 52, the
full name trimmed to 41 for it.
*/}}
{{- define "todo-chatbot.postgresqlName" -}}
{{- printf "%s-postgresql" (include "todo-chatbot.fullname" . | trunc 41 | trimSuffix "-") }}
{{- end }}

{{/* In-cluster URL of the backend, used by the frontend proxy and the test pod. */}}
{{- define "todo-chatbot.backendUrl" -}}
{{- printf "http://%s:%d" (include "todo-chatbot.backendName" .) (int .Values.backend.service.port) }}
{{- end }}

{{/* Image reference; the tag must be a concrete, non-latest tag. */}}
{{- define "todo-chatbot.image" -}}
{{- $tag := toString .image.tag }}
{{- if or (eq $tag "") (eq $tag "latest") }}
{{- fail (printf "%s.image.tag must be a concrete tag (content hash or version), not %q" .key $tag) }}
{{- end }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}

{{/* Pod security context: PSS restricted, numeric non-root user of the distroless images. */}}
{{- define "todo-chatbot.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "todo-chatbot.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Hosts the backend's MCP endpoint accepts (rmcp allows loopback only by default). */}}
{{- define "todo-chatbot.mcpAllowedHosts" -}}
{{- $b := include "todo-chatbot.backendName" . }}
{{- $hosts := list "localhost" "127.0.0.1" $b (printf "%s.%s" $b .Release.Namespace) (printf "%s.%s.svc" $b .Release.Namespace) (printf "%s.%s.svc.cluster.local" $b .Release.Namespace) }}
{{- if and .Values.ingress.enabled .Values.ingress.host }}
{{- $hosts = append $hosts .Values.ingress.host }}
{{- end }}
{{- concat $hosts .Values.config.mcpAllowedHosts | uniq | join "," }}
{{- end }}

{{/* PodDisruptionBudget of one component: (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-chatbot.pdb" -}}
{{- $v := index .ctx.Values .component }}
{{- if $v.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ printf "%s-%s" (include "todo-chatbot.fullname" .ctx) .component }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.componentLabels" . | nindent 4 }}
spec:
  minAvailable: {{ $v.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "todo-chatbot.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* HorizontalPodAutoscaler of one component; always with a CPU metric. */}}
{{- define "todo-chatbot.hpa" -}}
{{- $v := index .ctx.Values .component }}
{{- if $v.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ printf "%s-%s" (include "todo-chatbot.fullname" .ctx) .component }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ printf "%s-%s" (include "todo-chatbot.fullname" .ctx) .component }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $v.autoscaling.targetCPUUtilizationPercentage }}
  {{- $window := $v.autoscaling.scaleDownStabilizationWindowSeconds }}
  {{- if not (kindIs "invalid" $window) }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: {{ $window }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
The pods' checksum/secret: a hash of the values the chart's Secret is made from, never of the
rendered Secret. On a first install that holds random values, drawn anew at every include, so
each pod would carry another checksum than the next render computes, and the first upgrade —
even one that changes nothing — would restart every pod (seen on a real cluster). Generated
values never change afterwards (`lookup` keeps them), so the inputs are what can change.
*/}}
{{- define "todo-chatbot.secretChecksum" -}}
{{- $inputs := dict "secrets" .Values.secrets "postgresql" (dict "enabled" .Values.postgresql.enabled "auth" .Values.postgresql.auth) "externalDatabase" .Values.externalDatabase -}}
{{- $inputs | toJson | sha256sum -}}
{{- end }}
