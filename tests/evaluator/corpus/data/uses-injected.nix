injected * 2
