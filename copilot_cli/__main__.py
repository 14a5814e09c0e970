from copilot_cli.main import app

app()
