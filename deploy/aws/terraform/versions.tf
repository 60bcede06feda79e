# The official AWS provider only. `terraform init` downloads it; the checks
# in tests/deploy/ run without it (fmt and an HCL parse, not validate).
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

data "aws_region" "current" {}

data "aws_vpc" "this" {
  id = var.vpc_id
}
