"""Demo seeders for `xiangzhi seed-demo`; imported only by the command line."""

from app.services.demo.town import seed_demo

__all__ = ["seed_demo"]
