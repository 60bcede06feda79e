output "websocket_url" {
  description = "wss:// URL clients connect to (append ?user=NAME&token=...)."
  value       = aws_apigatewayv2_stage.chat.invoke_url
}

output "connections_url" {
  description = "https://…/@connections endpoint of the stage, where chatd POSTs frames for connection ids."
  value       = local.connections_url
}

output "callback_url" {
  description = "Stage URL given to chatd as CHAT_APIGW_CALLBACK; chatd appends /@connections/{id}."
  value       = local.callback_url
}

output "web_client_url" {
  description = "Where Amplify serves the web client."
  value       = "https://${aws_amplify_branch.web.branch_name}.${aws_amplify_app.web.default_domain}"
}

output "ecs_cluster" {
  description = "ECS cluster running the chatd service."
  value       = aws_ecs_cluster.this.name
}

output "log_groups" {
  description = "CloudWatch log groups: chatd's JSON lines, the X-Ray daemon, API Gateway access logs."
  value = {
    chatd        = aws_cloudwatch_log_group.chatd.name
    xray         = aws_cloudwatch_log_group.xray.name
    apigw_access = aws_cloudwatch_log_group.apigw_access.name
  }
}
