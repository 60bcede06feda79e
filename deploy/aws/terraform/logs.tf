# CloudWatch log groups. chatd writes one JSON object per line to stdout,
# which the awslogs driver ships as one event each.
resource "aws_cloudwatch_log_group" "chatd" {
  name              = "/ecs/${var.name}/chatd"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "xray" {
  name              = "/ecs/${var.name}/xray-daemon"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "apigw_access" {
  name              = "/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
}
