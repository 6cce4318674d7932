from farmgate.deploy.cli import main

main()
