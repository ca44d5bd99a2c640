from adrlens.cli import main

main()
