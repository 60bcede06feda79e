variable "aws_region" {
  type        = string
  description = "AWS region for every resource."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix of every resource name."
  default     = "libchat"
}

variable "chatd_image" {
  type        = string
  description = "chatd container image built from deploy/aws/Dockerfile and pushed to a registry the task can pull from (e.g. ECR)."
}

variable "xray_image" {
  type        = string
  description = "AWS X-Ray daemon image, run as a sidecar of chatd."
  default     = "public.ecr.aws/xray/aws-xray-daemon:3.3.12"
}

variable "vpc_id" {
  type        = string
  description = "VPC the Fargate tasks and the internal network load balancer run in."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets (private ones with a NAT route to AWS APIs, ideally) for the tasks and the load balancer."
}

variable "assign_public_ip" {
  type        = bool
  description = "Give each task a public IP; needed only in public subnets without NAT."
  default     = false
}

variable "desired_count" {
  type        = number
  description = "chatd tasks to run. Until clustering over NATS lands, keep 1: each task only knows its own connections."
  default     = 1
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU units (1024 = 1 vCPU), shared by chatd and the X-Ray daemon."
  default     = 512
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB."
  default     = 1024
}

variable "chatd_ws_port" {
  type        = number
  description = "chatd's WebSocket/HTTP port (--listen): /ws, /healthz, /readyz, /metrics."
  default     = 8080
}

variable "chatd_apigw_port" {
  type        = number
  description = "chatd's API Gateway integration port (--apigw-listen): POST /apigw/{connect,disconnect,default}."
  default     = 8081
}

variable "drain_timeout" {
  type        = string
  description = "chatd --drain-timeout: time to close connections on SIGTERM. Keep it under the container's stop_timeout (30 s)."
  default     = "25s"
}

variable "stage_name" {
  type        = string
  description = "API Gateway stage name; the last path segment of the wss:// URL."
  default     = "prod"
}

variable "throttling_burst_limit" {
  type        = number
  description = "Stage default route throttling: burst (requests). API Gateway needs it together with the rate."
  default     = 500
}

variable "throttling_rate_limit" {
  type        = number
  description = "Stage default route throttling: steady rate (requests per second)."
  default     = 1000
}

variable "log_retention_days" {
  type        = number
  description = "CloudWatch Logs retention for chatd, the X-Ray daemon and API Gateway access logs."
  default     = 30
}

variable "github_access_token" {
  type        = string
  description = "GitHub personal access token Amplify uses to read the web client's repository (required, as in the original deployment)."
  sensitive   = true
}

variable "web_client_repository" {
  type        = string
  description = "HTTPS URL of the GitHub repository holding the web client's static files."
  default     = "https://github.com/example/libchat"
}

variable "web_client_branch" {
  type        = string
  description = "Branch of web_client_repository that Amplify serves."
  default     = "main"
}

variable "web_client_dir" {
  type        = string
  description = "Folder of the repository with the web client's static files (served as they are; the build writes config.js)."
  default     = "server/web"
}
