# The web client (server/web): static files from the repository, served by
# Amplify Hosting. Its only build step writes the stage's wss:// URL
# (CHAT_WS_URL) into config.js, where the client reads its server.
resource "aws_amplify_app" "web" {
  name         = "${var.name}-web"
  repository   = var.web_client_repository
  access_token = var.github_access_token

  build_spec = <<-YAML
    version: 1
    frontend:
      phases:
        build:
          commands:
            - |
              printf 'export default { server: "%s" };\n' "$CHAT_WS_URL" > ${var.web_client_dir}/config.js
      artifacts:
        baseDirectory: ${var.web_client_dir}
        files:
          - '**/*'
  YAML

  environment_variables = {
    CHAT_WS_URL = aws_apigatewayv2_stage.chat.invoke_url
  }
}

resource "aws_amplify_branch" "web" {
  app_id      = aws_amplify_app.web.id
  branch_name = var.web_client_branch
  stage       = "PRODUCTION"
}
