# API Gateway reaches the private Fargate tasks through a VPC link to an
# internal network load balancer (WebSocket APIs take the REST-style VPC
# link, which targets an NLB).
resource "aws_lb" "chatd" {
  name               = "${var.name}-chatd"
  internal           = true
  load_balancer_type = "network"
  subnets            = var.subnet_ids
}

resource "aws_lb_target_group" "apigw" {
  name        = "${var.name}-apigw"
  port        = var.chatd_apigw_port
  protocol    = "TCP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  # Slightly over chatd's drain, so a stopping task finishes its drain.
  deregistration_delay = 30

  # /readyz turns 503 as soon as a drain begins: no new clients go there.
  health_check {
    protocol = "HTTP"
    port     = tostring(var.chatd_ws_port)
    path     = "/readyz"
  }
}

resource "aws_lb_listener" "apigw" {
  load_balancer_arn = aws_lb.chatd.arn
  port              = var.chatd_apigw_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.apigw.arn
  }
}

resource "aws_api_gateway_vpc_link" "chatd" {
  name        = "${var.name}-chatd"
  target_arns = [aws_lb.chatd.arn]
}
