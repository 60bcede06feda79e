# The WebSocket API clients connect to. API Gateway holds the sockets; each
# route is an HTTP integration to chatd's API Gateway listener.
#
# Assumed chatd interface (the apigw transport, built alongside this module):
#   POST /apigw/connect, /apigw/disconnect, /apigw/default on --apigw-listen;
#   header `connectionid` = context.connectionId on every route;
#   on $connect, header `x-chat-user` = ?user= and `x-chat-token` = ?token=.
resource "aws_apigatewayv2_api" "chat" {
  name                       = "${var.name}-ws"
  protocol_type              = "WEBSOCKET"
  route_selection_expression = "$request.body.action"
}

locals {
  apigw_base_uri = "http://${aws_lb.chatd.dns_name}:${var.chatd_apigw_port}/apigw"
}

resource "aws_apigatewayv2_integration" "connect" {
  api_id             = aws_apigatewayv2_api.chat.id
  integration_type   = "HTTP"
  integration_method = "POST"
  integration_uri    = "${local.apigw_base_uri}/connect"
  connection_type    = "VPC_LINK"
  connection_id      = aws_api_gateway_vpc_link.chatd.id
  # Query strings exist on $connect only.
  request_parameters = {
    "integration.request.header.connectionid" = "context.connectionId"
    "integration.request.header.x-chat-user"  = "route.request.querystring.user"
    "integration.request.header.x-chat-token" = "route.request.querystring.token"
  }
}

resource "aws_apigatewayv2_integration" "disconnect" {
  api_id             = aws_apigatewayv2_api.chat.id
  integration_type   = "HTTP"
  integration_method = "POST"
  integration_uri    = "${local.apigw_base_uri}/disconnect"
  connection_type    = "VPC_LINK"
  connection_id      = aws_api_gateway_vpc_link.chatd.id
  request_parameters = {
    "integration.request.header.connectionid" = "context.connectionId"
  }
}

resource "aws_apigatewayv2_integration" "default" {
  api_id             = aws_apigatewayv2_api.chat.id
  integration_type   = "HTTP"
  integration_method = "POST"
  integration_uri    = "${local.apigw_base_uri}/default"
  connection_type    = "VPC_LINK"
  connection_id      = aws_api_gateway_vpc_link.chatd.id
  request_parameters = {
    "integration.request.header.connectionid" = "context.connectionId"
  }
  # The client's frame is the request body, passed as it is.
  passthrough_behavior = "WHEN_NO_MATCH"
}

# HTTP (non-proxy) integrations need an integration response to map chatd's
# answer back; "$default" takes every status.
resource "aws_apigatewayv2_integration_response" "connect" {
  api_id                   = aws_apigatewayv2_api.chat.id
  integration_id           = aws_apigatewayv2_integration.connect.id
  integration_response_key = "$default"
}

resource "aws_apigatewayv2_integration_response" "disconnect" {
  api_id                   = aws_apigatewayv2_api.chat.id
  integration_id           = aws_apigatewayv2_integration.disconnect.id
  integration_response_key = "$default"
}

resource "aws_apigatewayv2_integration_response" "default" {
  api_id                   = aws_apigatewayv2_api.chat.id
  integration_id           = aws_apigatewayv2_integration.default.id
  integration_response_key = "$default"
}

resource "aws_apigatewayv2_route" "connect" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$connect"
  target    = "integrations/${aws_apigatewayv2_integration.connect.id}"
}

resource "aws_apigatewayv2_route" "disconnect" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$disconnect"
  target    = "integrations/${aws_apigatewayv2_integration.disconnect.id}"
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.chat.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.default.id}"
  # Two-way: chatd's answer to a frame (sent / error) goes back to the client.
  route_response_selection_expression = "$default"
}

resource "aws_apigatewayv2_route_response" "default" {
  api_id             = aws_apigatewayv2_api.chat.id
  route_id           = aws_apigatewayv2_route.default.id
  route_response_key = "$default"
}

resource "aws_apigatewayv2_stage" "chat" {
  api_id      = aws_apigatewayv2_api.chat.id
  name        = var.stage_name
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.apigw_access.arn
    format = jsonencode({
      requestId    = "$context.requestId"
      connectionId = "$context.connectionId"
      routeKey     = "$context.routeKey"
      eventType    = "$context.eventType"
      status       = "$context.status"
      ip           = "$context.identity.sourceIp"
      requestTime  = "$context.requestTime"
      latency      = "$context.integrationLatency"
      error        = "$context.error.message"
    })
  }

  # Both limits together: API Gateway ignores a burst without a rate.
  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
    logging_level          = "INFO"
    data_trace_enabled     = false # would log message bodies
  }

  # Stage logging needs the account's CloudWatch role to exist first.
  depends_on = [aws_api_gateway_account.this]
}
