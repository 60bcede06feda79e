resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  # What chatd receives as --apigw-callback: it POSTs to
  # {callback}/@connections/{id} (docs/aws.md), so this is the stage URL.
  callback_url    = "https://${aws_apigatewayv2_api.chat.id}.execute-api.${data.aws_region.current.name}.amazonaws.com/${var.stage_name}"
  connections_url = "${local.callback_url}/@connections"
}

resource "aws_ecs_task_definition" "chatd" {
  family                   = "${var.name}-chatd"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([
    {
      name      = "chatd"
      image     = var.chatd_image
      essential = true
      # ECS sends SIGTERM, then SIGKILL after stopTimeout; chatd drains
      # within CHAT_DRAIN_TIMEOUT, which is shorter.
      stopTimeout = 30
      portMappings = [
        { containerPort = var.chatd_ws_port, protocol = "tcp" },
        { containerPort = var.chatd_apigw_port, protocol = "tcp" },
      ]
      environment = [
        { name = "CHAT_LISTEN", value = "0.0.0.0:${var.chatd_ws_port}" },
        { name = "CHAT_APIGW_LISTEN", value = "0.0.0.0:${var.chatd_apigw_port}" },
        { name = "CHAT_APIGW_CALLBACK", value = local.callback_url },
        { name = "CHAT_XRAY", value = "true" },
        { name = "AWS_XRAY_DAEMON_ADDRESS", value = "127.0.0.1:2000" },
        { name = "CHAT_LOG_FORMAT", value = "json" },
        { name = "CHAT_DRAIN_TIMEOUT", value = var.drain_timeout },
        { name = "CHAT_SHUTDOWN_CLOSE_CODE", value = "1012" },
      ]
      healthCheck = {
        command     = ["CMD", "curl", "-fsS", "http://127.0.0.1:${var.chatd_ws_port}/healthz"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
      dependsOn = [{ containerName = "xray-daemon", condition = "START" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.chatd.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "chatd"
        }
      }
    },
    {
      name         = "xray-daemon"
      image        = var.xray_image
      essential    = false
      portMappings = [{ containerPort = 2000, protocol = "udp" }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.xray.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "xray"
        }
      }
    },
  ])
}

resource "aws_security_group" "chatd" {
  name        = "${var.name}-chatd"
  description = "chatd tasks: reached by the internal NLB (API Gateway VPC link) only"
  vpc_id      = var.vpc_id

  ingress {
    description = "API Gateway integrations and health checks through the NLB"
    from_port   = var.chatd_ws_port
    to_port     = var.chatd_apigw_port
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }

  egress {
    description = "@connections callbacks, X-Ray, image pulls"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_service" "chatd" {
  name            = "chatd"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.chatd.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.chatd.id]
    assign_public_ip = var.assign_public_ip
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.apigw.arn
    container_name   = "chatd"
    container_port   = var.chatd_apigw_port
  }

  depends_on = [aws_lb_listener.apigw]
}
