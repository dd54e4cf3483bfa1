{{/*
Names
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "rerankd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: RELEASE-rerankd, or RELEASE when it already contains the chart name. */}}
{{- define "rerankd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* name-version, for the helm.sh/chart label. */}}
{{- define "rerankd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rerankd.gateway.fullname" -}}
{{- printf "%s-gateway" (include "rerankd.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rerankd.redis.fullname" -}}
{{- printf "%s-redis" (include "rerankd.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The StatefulSet (and headless Service) of one model: FULLNAME-worker-MODEL. Pods add "-N" and the
controller-revision-hash label adds 11 characters, so the name may not pass 52 characters.
Call with (dict "ctx" $ "model" $model).
*/}}
{{- define "rerankd.worker.fullname" -}}
{{- $name := printf "%s-worker-%s" (include "rerankd.fullname" .ctx) .model.name }}
{{- if gt (len $name) 52 }}
{{- fail (printf "worker name %q is longer than 52 characters: shorten models[].name, the release name or fullnameOverride" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/*
Labels, following the app.kubernetes.io conventions. Call with (dict "ctx" $ "component" "gateway").
*/}}
{{- define "rerankd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rerankd.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "rerankd.labels" -}}
helm.sh/chart: {{ include "rerankd.chart" .ctx }}
{{ include "rerankd.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ include "rerankd.name" .ctx }}
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one model's workers. Call with (dict "ctx" $ "model" $model). */}}
{{- define "rerankd.worker.selectorLabels" -}}
{{ include "rerankd.selectorLabels" (dict "ctx" .ctx "component" "worker") }}
rerankd.io/model: {{ .model.name }}
{{- end }}

{{- define "rerankd.worker.labels" -}}
{{ include "rerankd.labels" (dict "ctx" .ctx "component" "worker") }}
rerankd.io/model: {{ .model.name }}
{{- end }}

{{- define "rerankd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rerankd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image: repository:tag, the tag defaulting to the chart's appVersion. Call with (dict "ctx" $ "image" $image). */}}
{{- define "rerankd.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}

{{/*
Secrets
*/}}

{{/* "true" when clients must send an API key. */}}
{{- define "rerankd.auth.enabled" -}}
{{- if or .Values.auth.existingSecret .Values.auth.apiKeys }}true{{- end }}
{{- end }}

{{- define "rerankd.auth.secretName" -}}
{{- default (printf "%s-api-keys" (include "rerankd.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "rerankd.auth.secretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}api-keys{{ end }}
{{- end }}

{{- define "rerankd.hf.tokenEnabled" -}}
{{- if or .Values.huggingFace.existingSecret .Values.huggingFace.token }}true{{- end }}
{{- end }}

{{- define "rerankd.hf.secretName" -}}
{{- default (printf "%s-hf-token" (include "rerankd.fullname" .)) .Values.huggingFace.existingSecret }}
{{- end }}

{{- define "rerankd.hf.secretKey" -}}
{{- if .Values.huggingFace.existingSecret }}{{ .Values.huggingFace.existingSecretKey }}{{ else }}token{{ end }}
{{- end }}

{{/*
Redis: bundled or external
*/}}

{{/* "true" when Redis needs a password. */}}
{{- define "rerankd.redis.passwordEnabled" -}}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth.enabled }}true{{ end }}
{{- else if .Values.externalRedis.existingSecret }}true
{{- end }}
{{- end }}

{{- define "rerankd.redis.secretName" -}}
{{- if .Values.redis.enabled }}
{{- default (include "rerankd.redis.fullname" .) .Values.redis.auth.existingSecret }}
{{- else }}
{{- .Values.externalRedis.existingSecret }}
{{- end }}
{{- end }}

{{- define "rerankd.redis.secretKey" -}}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth.existingSecret }}{{ .Values.redis.auth.existingSecretPasswordKey }}{{ else }}redis-password{{ end }}
{{- else }}
{{- .Values.externalRedis.existingSecretPasswordKey }}
{{- end }}
{{- end }}

{{/* The parts of the Redis URL as YAML: scheme, user, host (host:port), hostname, port, db, tls. */}}
{{- define "rerankd.redis.endpoint" -}}
{{- if .Values.redis.enabled }}
scheme: redis
user: ""
hostname: {{ printf "%s.%s.svc.%s" (include "rerankd.redis.fullname" .) .Release.Namespace .Values.clusterDomain }}
port: {{ .Values.redis.port | quote }}
db: "0"
{{- else }}
{{- $raw := required "externalRedis.url is required when redis.enabled is false (redis://HOST:PORT/DB)" .Values.externalRedis.url }}
{{- $url := urlParse $raw }}
{{- if not (has $url.scheme (list "redis" "rediss")) }}
{{- fail (printf "externalRedis.url %q must start with redis:// or rediss://" $raw) }}
{{- end }}
{{- if contains ":" $url.userinfo }}
{{- fail "externalRedis.url must not hold a password: put it in the Secret named by externalRedis.existingSecret" }}
{{- end }}
{{- if not $url.hostname }}
{{- fail (printf "externalRedis.url %q has no host" $raw) }}
{{- end }}
{{- $port := trimPrefix ":" (regexFind ":[0-9]+$" $url.host) }}
scheme: {{ $url.scheme }}
user: {{ $url.userinfo | quote }}
hostname: {{ $url.hostname }}
port: {{ (default "6379" $port) | quote }}
db: {{ (default "0" (trimPrefix "/" $url.path)) | quote }}
{{- end }}
{{- end }}

{{/* host:port of Redis, as KEDA's redis-streams scaler takes it. */}}
{{- define "rerankd.redis.address" -}}
{{- $e := include "rerankd.redis.endpoint" . | fromYaml }}
{{- printf "%s:%s" $e.hostname (toString $e.port) }}
{{- end }}

{{/* The Redis URL rerankd gets; the password is expanded by Kubernetes from $(REDIS_PASSWORD). */}}
{{- define "rerankd.redis.url" -}}
{{- $e := include "rerankd.redis.endpoint" . | fromYaml }}
{{- $auth := "" }}
{{- if include "rerankd.redis.passwordEnabled" . }}
{{- $auth = printf "%s:$(REDIS_PASSWORD)@" $e.user }}
{{- else if $e.user }}
{{- $auth = printf "%s@" $e.user }}
{{- end }}
{{- printf "%s://%s%s:%s/%s" $e.scheme $auth $e.hostname (toString $e.port) (toString $e.db) }}
{{- end }}

{{/* Environment of every process that talks to Redis. */}}
{{- define "rerankd.redis.env" -}}
{{- $e := include "rerankd.redis.endpoint" . | fromYaml }}
{{- if $e.user }}
- name: REDIS_USERNAME
  value: {{ $e.user | quote }}
{{- end }}
{{- if include "rerankd.redis.passwordEnabled" . }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "rerankd.redis.secretName" . }}
      key: {{ include "rerankd.redis.secretKey" . }}
{{- end }}
- name: RERANKD_REDIS_URL
  value: {{ include "rerankd.redis.url" . | quote }}
{{- end }}

{{/*
Models. Each helper is called with (dict "ctx" $ "model" $model).
*/}}

{{/* The name clients send: servedModelName, else the hub id, else the entry's name. */}}
{{- define "rerankd.model.servedName" -}}
{{- if .model.servedModelName }}
{{- .model.servedModelName }}
{{- else if .model.source.hub }}
{{- .model.source.hub }}
{{- else }}
{{- .model.name }}
{{- end }}
{{- end }}

{{/* Work stream of the model's bulk lane in Redis (see packages/queue/src/keys.ts). */}}
{{- define "rerankd.model.streamKey" -}}
{{- printf "rerankd:{%s}:work" (include "rerankd.model.servedName" .) }}
{{- end }}

{{/* Work stream of the model's interactive lane: small requests, read beside the bulk lane. */}}
{{- define "rerankd.model.interactiveStreamKey" -}}
{{- printf "rerankd:{%s}:work:interactive" (include "rerankd.model.servedName" .) }}
{{- end }}

{{/* How the model's files reach the pod: hub, pvc or hostPath. */}}
{{- define "rerankd.model.sourceType" -}}
{{- $src := required (printf "models[%s].source is required" .model.name) .model.source }}
{{- $kinds := list }}
{{- range $kind := list "hub" "pvc" "hostPath" }}
{{- if hasKey $src $kind }}{{ $kinds = append $kinds $kind }}{{ end }}
{{- end }}
{{- if ne (len $kinds) 1 }}
{{- fail (printf "models[%s].source needs exactly one of hub, pvc or hostPath" .model.name) }}
{{- end }}
{{- first $kinds }}
{{- end }}

{{/* The --model argument of the worker: the hub id, or the directory where the volume is mounted. */}}
{{- define "rerankd.model.arg" -}}
{{- $type := include "rerankd.model.sourceType" . }}
{{- if eq $type "hub" }}
{{- .model.source.hub }}
{{- else if eq $type "pvc" }}
{{- printf "/models/%s" (default "" .model.source.pvc.path | trimPrefix "/") | trimSuffix "/" }}
{{- else }}
{{- "/models" }}
{{- end }}
{{- end }}

{{- define "rerankd.model.resources" -}}
{{- toYaml (default .ctx.Values.worker.resources .model.resources) }}
{{- end }}

{{/* GPUs one pod asks for (limits, else requests). */}}
{{- define "rerankd.model.gpuCount" -}}
{{- $res := default .ctx.Values.worker.resources .model.resources }}
{{- $gpu := .ctx.Values.worker.gpuResourceName }}
{{- $limits := default dict $res.limits }}
{{- $requests := default dict $res.requests }}
{{- int (default (default 0 (index $requests $gpu)) (index $limits $gpu)) }}
{{- end }}

{{/* cpu or cuda. */}}
{{- define "rerankd.model.device" -}}
{{- if .model.device }}
{{- .model.device }}
{{- else if gt (int (include "rerankd.model.gpuCount" .)) 0 }}cuda
{{- else }}cpu
{{- end }}
{{- end }}

{{/* The image of the model's workers: its own, else the CPU or CUDA default. */}}
{{- define "rerankd.model.image" -}}
{{- $device := include "rerankd.model.device" . }}
{{- $default := ternary .ctx.Values.worker.image.cuda .ctx.Values.worker.image.cpu (eq $device "cuda") }}
{{- toYaml (mergeOverwrite (deepCopy $default) (default dict .model.image)) }}
{{- end }}

{{/* Threads per operator: the model's `threads`, else a whole-number CPU limit, else nothing. */}}
{{- define "rerankd.model.threads" -}}
{{- if .model.threads }}
{{- .model.threads }}
{{- else }}
{{- $res := default .ctx.Values.worker.resources .model.resources }}
{{- $cpu := toString (default "" (default dict $res.limits).cpu) }}
{{- if regexMatch "^[1-9][0-9]*$" $cpu }}{{ $cpu }}{{ end }}
{{- end }}
{{- end }}

{{/* A setting of the model, else of `worker`: (dict "ctx" $ "model" $m "key" "nodeSelector"). */}}
{{- define "rerankd.model.setting" -}}
{{- if hasKey .model .key }}
{{- toYaml (index .model .key) }}
{{- else }}
{{- toYaml (index .ctx.Values.worker .key) }}
{{- end }}
{{- end }}

{{/* The model's KEDA settings: worker.autoscaling overridden key by key by models[].autoscaling. */}}
{{- define "rerankd.model.autoscaling" -}}
{{- $out := deepCopy .ctx.Values.worker.autoscaling }}
{{- range $key, $value := (default dict .model.autoscaling) }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The model's cache settings: worker.modelCache overridden by models[].modelCache. */}}
{{- define "rerankd.model.cache" -}}
{{- $out := deepCopy .ctx.Values.worker.modelCache }}
{{- with .model.modelCache }}
{{- if hasKey . "mountPath" }}{{ $_ := set $out "mountPath" .mountPath }}{{ end }}
{{- if hasKey . "emptyDirSizeLimit" }}{{ $_ := set $out "emptyDirSizeLimit" .emptyDirSizeLimit }}{{ end }}
{{- range $key, $value := (default dict .persistence) }}
{{- $_ := set $out.persistence $key $value }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Probes
*/}}

{{/*
Readiness of the gateway: GET /ready (open without an API key, like /health and /metrics).
*/}}
{{- define "rerankd.gateway.readinessHandler" -}}
httpGet:
  path: /ready
  port: http
{{- end }}

{{/*
Start of a tensor-parallel rank: the pod's ordinal N in the StatefulSet gives its group
(N / TP) and its rank (N % TP); the peers are the group's pods, in rank order, by their stable
DNS names under the headless Service. Extra arguments arrive as "$@".
*/}}
{{- define "rerankd.worker.tpScript" -}}
set -eu
ordinal="${POD_NAME##*-}"
group=$((ordinal / RERANKD_TP))
first=$((group * RERANKD_TP))
peers=""
i=0
while [ "$i" -lt "$RERANKD_TP" ]; do
  peers="${peers:+$peers,}${WORKER_STATEFULSET}-$((first + i)).${WORKER_SERVICE}.${POD_NAMESPACE}.svc.${CLUSTER_DOMAIN}:${SHARD_PORT}"
  i=$((i + 1))
done
RERANKD_RANK=$((ordinal % RERANKD_TP))
RERANKD_PEERS="$peers"
export RERANKD_RANK RERANKD_PEERS
echo "rerankd: tensor-parallel group $group, rank $RERANKD_RANK of $RERANKD_TP, peers $RERANKD_PEERS" >&2
exec rerankd worker "$@"
{{- end }}

{{/*
NetworkPolicy egress rules shared by the gateway and the workers: DNS and Redis.
*/}}
{{- define "rerankd.networkPolicy.baseEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- $e := include "rerankd.redis.endpoint" . | fromYaml }}
{{- if .Values.redis.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "rerankd.selectorLabels" (dict "ctx" $ "component" "redis") | nindent 10 }}
  ports:
    - port: {{ .Values.redis.port }}
      protocol: TCP
{{- else }}
- ports:
    - port: {{ int $e.port }}
      protocol: TCP
  {{- with .Values.networkPolicy.egress.externalRedisTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
