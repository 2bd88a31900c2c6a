from maltastic.cli.main import app

app(prog_name="maltastic")
